"""Offline stand-in for the six bank feeds: serves the recorded responses in local/recorded_rates/.

Each source answers at `/<source>/<YYYY-MM-DD>` with its newest recording dated on or before that day
(a bank answers a weekend with Friday's sheet), or 404 when there is none. The stack points the
template's `Rates*Url` parameters here, so the ingest function runs unchanged: same HTTP, same parsers.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from steppewire.rates.sources import SOURCES

if TYPE_CHECKING:
    from .stack import LocalStack

RECORDINGS = Path(__file__).resolve().parent.parent / "recorded_rates"
# Recordings are named `<code>-<date>` in lower case, one template parameter per registered source.
FEED_PARAMETERS: Mapping[str, str] = {source.code.lower(): source.template_parameter for source in SOURCES}
_RECORDING_NAME = re.compile(r"^(?P<source>[a-z]+)-(?P<date>\d{4}-\d{2}-\d{2})\.(xml|json)$")


def recordings(folder: Path = RECORDINGS) -> dict[str, dict[date, Path]]:
    found: dict[str, dict[date, Path]] = {}
    for path in sorted(folder.iterdir()):
        if match := _RECORDING_NAME.match(path.name):
            found.setdefault(match["source"], {})[date.fromisoformat(match["date"])] = path
    return found


def recorded_dates(folder: Path = RECORDINGS) -> list[date]:
    return sorted({day for by_date in recordings(folder).values() for day in by_date})


def _handler_for(files: dict[str, dict[date, Path]]) -> type[BaseHTTPRequestHandler]:
    class RecordedFeedHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  # http.server's naming
            source, _, asked = self.path.strip("/").partition("/")
            try:
                day = date.fromisoformat(asked)
            except ValueError:
                self.send_error(400, "expected /<source>/<YYYY-MM-DD>")
                return
            candidates = [d for d in files.get(source, {}) if d <= day]
            if not candidates:
                self.send_error(404, f"no recording of {source} on or before {day}")
                return
            path = files[source][max(candidates)]
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json" if path.suffix == ".json" else "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: the ingest function logs every fetch outcome itself."""

    return RecordedFeedHandler


class RecordedRatesFeeds:
    """`run` extension: offline (the default) it serves the recordings and backfills their dates at start,
    so the ticker shows a rate and its change at once; with RATES_LIVE=1 it steps aside."""

    ingest_function = "RatesIngestFunction"

    def __init__(self, live: bool | None = None, host: str = "127.0.0.1") -> None:
        self.live = os.environ.get("RATES_LIVE") == "1" if live is None else live
        self._host = host
        self._server: ThreadingHTTPServer | None = None

    def parameter_overrides(self) -> Mapping[str, str]:
        if self.live:
            return {}
        self._server = ThreadingHTTPServer((self._host, 0), _handler_for(recordings()))
        threading.Thread(target=self._server.serve_forever, name="recorded-feeds", daemon=True).start()
        base = f"http://{self._host}:{self._server.server_address[1]}"
        return {parameter: f"{base}/{source}/%Y-%m-%d" for source, parameter in FEED_PARAMETERS.items()}

    def before_start(self, stack: LocalStack) -> list[str]:
        if self._server is None:
            return ["Rate feeds: live (RATES_LIVE=1): the banks are fetched over HTTP"]
        days = recorded_dates()
        for day in days:
            stack.invoke(self.ingest_function, {"date": day.isoformat()})
        port = self._server.server_address[1]
        return [
            f"Rate feeds: recorded responses from {RECORDINGS} on http://{self._host}:{port}/<source>/<date>",
            f"            backfilled {', '.join(d.isoformat() for d in days)} (RATES_LIVE=1 fetches the real banks)",
        ]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
