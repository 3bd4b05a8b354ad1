"""The reader's site for `run`: the repository's `site/` folder over HTTP, as CloudFront serves it.

Same security headers as on AWS: they are read from the template's `SiteHeadersPolicy`, with the local
API's origin added to `connect-src` and `img-src` (on AWS the API shares the site's origin, 'self').
`/` is `index.html`, an unknown path is the site's `404.html` with status 404 (CloudFront's error
response), and `/config.json` tells the site where the API is (on AWS that file is deployed beside it).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

HEADERS_POLICY: Final = "SiteHeadersPolicy"
CONFIG_PATH: Final = "/config.json"
NOT_FOUND_PAGE: Final = "404.html"
# What browsers need for ES modules (text/javascript) and what the site holds; charset for the text types.
CONTENT_TYPES: Final[Mapping[str, str]] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
}
_API_SOURCES: Final = ("connect-src", "img-src")


def site_headers(resources: Mapping[str, Any], api_origin: str) -> dict[str, str]:
    """The response headers of the template's SiteHeadersPolicy, the CSP also allowing `api_origin`.

    HSTS is left out: the local site is plain HTTP on 127.0.0.1."""
    config = resources[HEADERS_POLICY]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    headers = {"Content-Security-Policy": _allow_origin(policy, api_origin)}
    if "ContentTypeOptions" in config:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in config:
        headers["X-Frame-Options"] = config["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in config:
        headers["Referrer-Policy"] = config["ReferrerPolicy"]["ReferrerPolicy"]
    return headers


def _allow_origin(policy: str, origin: str) -> str:
    directives = [" ".join(d.split()) for d in policy.split(";") if d.strip()]
    return "; ".join(f"{d} {origin}" if d.split()[0] in _API_SOURCES else d for d in directives)


class SiteServer:
    """A ThreadingHTTPServer of `folder` (port 0 = any free port) with the site's headers and config."""

    def __init__(
        self, folder: Path, host: str, port: int, headers: Mapping[str, str], config: Mapping[str, str]
    ) -> None:
        self.folder = folder
        handler = _handler_class(folder, dict(headers), json.dumps(dict(config)).encode())
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="site", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def _handler_class(folder: Path, headers: dict[str, str], config: bytes) -> type[SimpleHTTPRequestHandler]:
    class SiteHandler(SimpleHTTPRequestHandler):
        extensions_map = dict(CONTENT_TYPES)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def end_headers(self) -> None:
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Cache-Control", "no-cache")  # an edited file shows on the next reload
            super().end_headers()

        def send_head(self) -> Any:
            if urlsplit(self.path).path == CONFIG_PATH:
                return self._send_bytes(HTTPStatus.OK, CONTENT_TYPES[".json"], config)
            return super().send_head()

        def list_directory(self, path: Any) -> None:
            """No listings: a folder without index.html is not a page (S3 has none either)."""
            self.send_error(HTTPStatus.NOT_FOUND)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            page = folder / NOT_FOUND_PAGE
            if code == HTTPStatus.NOT_FOUND and page.is_file():
                body = self._send_bytes(HTTPStatus.NOT_FOUND, CONTENT_TYPES[".html"], page.read_bytes())
                if self.command != "HEAD":
                    self.copyfile(body, self.wfile)
                return
            super().send_error(code, message, explain)

        def _send_bytes(self, status: HTTPStatus, content_type: str, body: bytes) -> Any:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: one line per invocation is what `run` prints, not every static file."""

    return SiteHandler
