"""Fetching the banks' feeds: one HTTP GET per source, concurrently, each with its own timeout and retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import urllib3
from urllib3.exceptions import HTTPError as TransportError

from steppewire.rates.model import FeedFormatError, RateSheet
from steppewire.rates.sources import BY_CODE, SOURCES

# CBT answers the default urllib agent with 403; a browser-like agent is what its site expects.
USER_AGENT = "Mozilla/5.0 (compatible; SteppeWireRates/1.0; +https://github.com/steppe-wire)"
# The largest real sheet (CBU, all currencies) is ~25 KB; anything far bigger is not a rate sheet.
MAX_FEED_BYTES = 2 * 1024 * 1024

_POOL = urllib3.PoolManager(headers={"User-Agent": USER_AGENT}, retries=urllib3.Retry(total=0, redirect=3))


class FeedUnavailable(Exception):
    """The source could not be reached or refused to answer (after the allowed retries)."""


class _Transient(Exception):
    """Worth another attempt: a 5xx or 429, a timeout, a connection cut mid-answer."""


@dataclass(frozen=True)
class FeedResult:
    source: str
    url: str
    sheet: RateSheet | None = None
    error: str | None = None


Getter = Callable[[str], bytes]


@dataclass(frozen=True)
class HttpGetter:
    """GET bounded by one total deadline per fetch: connecting, every read and every retry together, so a
    feed that trickles a byte at a time costs `timeout_seconds`, not a socket timeout per byte. Transient
    faults (5xx, 429, timeouts, answers cut short) are retried with backoff while time remains; `deadline`
    (a `time.monotonic()` value) caps every fetch, so that a run ends inside its function's Timeout."""

    timeout_seconds: float = 8.0
    attempts: int = 3
    backoff_seconds: float = 0.5
    deadline: float | None = None

    def __call__(self, url: str) -> bytes:
        stop = time.monotonic() + self.timeout_seconds
        stop = stop if self.deadline is None else min(stop, self.deadline)
        last_problem = "no time left to try"
        for attempt in range(1, self.attempts + 1):
            if time.monotonic() >= stop:
                break
            try:
                return _get_once(url, stop)
            except _Transient as problem:
                last_problem = str(problem)
            pause = self.backoff_seconds * 2 ** (attempt - 1)
            if attempt < self.attempts and time.monotonic() + pause < stop:
                time.sleep(pause)
        raise FeedUnavailable(last_problem)


def _get_once(url: str, stop: float) -> bytes:
    try:
        response = _POOL.request("GET", url, preload_content=False, timeout=_time_left(stop))
    except TransportError as error:
        raise _Transient(f"unreachable ({_reason(error)})") from error
    try:
        if response.status >= 400:
            if response.status >= 500 or response.status == 429:
                raise _Transient(f"HTTP {response.status}")
            raise FeedUnavailable(f"HTTP {response.status}")  # the source's answer is final (CBT's Sunday 404)
        body = _read_until(response, stop)
    except TransportError as error:  # e.g. IncompleteRead, a reset, a read timeout
        response.close()  # half read: the connection must not be reused
        raise _Transient(f"unreachable ({_reason(error)})") from error
    except BaseException:
        response.close()
        raise
    response.release_conn()
    return body


def _read_until(response: urllib3.BaseHTTPResponse, stop: float) -> bytes:
    """The body, read a piece at a time with the socket timeout set to the time left before `stop`."""
    body = bytearray()
    while True:
        left = _time_left(stop)
        if sock := getattr(response.connection, "sock", None):
            sock.settimeout(left)
        piece = response.read1(65536)
        if not piece:
            return bytes(body)
        body += piece
        if len(body) > MAX_FEED_BYTES:
            raise FeedUnavailable(f"the answer is over {MAX_FEED_BYTES:,} bytes, too big for a rate sheet")


def _time_left(stop: float) -> float:
    left = stop - time.monotonic()
    if left <= 0:
        raise _Transient("no complete answer before the deadline")
    return left


def _reason(error: TransportError) -> str:
    return str(getattr(error, "reason", None) or error)


def feed_url(source: str, on: date, overrides: Mapping[str, str]) -> str:
    return on.strftime(overrides.get(source) or BY_CODE[source].official_url)


def fetch_feed(source: str, url: str, get: Getter) -> FeedResult:
    try:
        return FeedResult(source, url, sheet=BY_CODE[source].parse(get(url)))
    except FeedUnavailable as error:
        return FeedResult(source, url, error=str(error))
    except FeedFormatError as error:
        return FeedResult(source, url, error=f"unusable answer: {error.problem}")
    except Exception as error:  # noqa: BLE001  # a parser bug on an unforeseen file must not cost the other sources
        return FeedResult(source, url, error=f"unexpected {type(error).__name__}: {error}")


def fetch_all_feeds(on: date, overrides: Mapping[str, str], get: Getter) -> dict[str, FeedResult]:
    """Every source at once; one slow or broken source costs only its own timeout."""
    urls = {source.code: feed_url(source.code, on, overrides) for source in SOURCES}
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        futures = {source: pool.submit(fetch_feed, source, url, get) for source, url in urls.items()}
        return {source: future.result() for source, future in futures.items()}
