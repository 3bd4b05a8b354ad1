"""The reader's site for `run`: the repository's `site/` folder over HTTP, as CloudFront serves it.

What the edge does is read from the template: the security headers of `SiteHeadersPolicy` (with the
local API's origin added to `connect-src` and `img-src`; on AWS the API shares the site's origin,
'self'), `/` answered with ApiDistribution's DefaultRootObject (any other folder is no page, as in S3),
an unknown path with its error page and status 404. `/config.json` tells the site where the API is (on
AWS that file is deployed beside the site).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from .api_gateway import BackgroundHttpServer

HEADERS_POLICY: Final = "SiteHeadersPolicy"
DISTRIBUTION: Final = "ApiDistribution"
CONFIG_PATH: Final = "/config.json"
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


@dataclass(frozen=True)
class SiteEdge:
    headers: Mapping[str, str]
    index_page: str
    """What `/` answers, e.g. index.html."""
    not_found_page: str
    """What a missing file answers with status 404, e.g. /404.html."""


def site_edge(resources: Mapping[str, Any], api_origin: str) -> SiteEdge:
    distribution = resources[DISTRIBUTION]["Properties"]["DistributionConfig"]
    (not_found,) = [e for e in distribution["CustomErrorResponses"] if e["ResponseCode"] == HTTPStatus.NOT_FOUND]
    return SiteEdge(
        site_headers(resources, api_origin), distribution["DefaultRootObject"], not_found["ResponsePagePath"]
    )


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


class SiteServer(BackgroundHttpServer):
    """`folder` with the site's edge settings and the generated config.json."""

    def __init__(self, folder: Path, host: str, port: int, edge: SiteEdge, config: Mapping[str, str]) -> None:
        super().__init__(_handler_class(folder, edge, json.dumps(dict(config)).encode()), host, port, "site")


def _not_a_file_name(local_path: str) -> bool:
    """A folder (no page but the root, as in S3), or a name no file can have (%00)."""
    return "\x00" in local_path or Path(local_path).is_dir()


def _handler_class(folder: Path, edge: SiteEdge, config: bytes) -> type[SimpleHTTPRequestHandler]:
    not_found_page = folder / edge.not_found_page.lstrip("/")

    class SiteHandler(SimpleHTTPRequestHandler):
        extensions_map = dict(CONTENT_TYPES)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def end_headers(self) -> None:
            for name, value in edge.headers.items():
                self.send_header(name, value)
            self.send_header("Cache-Control", "no-cache")  # an edited file shows on the next reload
            super().end_headers()

        def send_head(self) -> Any:
            path = urlsplit(self.path).path
            if path == CONFIG_PATH:
                return self._send_bytes(HTTPStatus.OK, CONTENT_TYPES[".json"], config)
            if path == "/":
                self.path = "/" + edge.index_page
            elif _not_a_file_name(self.translate_path(self.path)):
                self.send_error(HTTPStatus.NOT_FOUND)
                return None
            return super().send_head()

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            if code == HTTPStatus.NOT_FOUND and not_found_page.is_file():
                page = not_found_page.read_bytes()
                body = self._send_bytes(HTTPStatus.NOT_FOUND, CONTENT_TYPES[".html"], page)
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
