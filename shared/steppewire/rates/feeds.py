"""Fetching the banks' feeds: one HTTP GET per source, concurrently, each with its own timeout and retries."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from steppewire.rates.model import FeedFormatError, RateSheet
from steppewire.rates.parsers import PARSERS

# Official endpoints as strftime templates of the requested date. NBKR has no dated URL: it always
# serves its latest sheet, and the sheet says which date that is.
OFFICIAL_FEED_URLS: Mapping[str, str] = {
    "NBK": "https://nationalbank.kz/rss/get_rates.cfm?fdate=%d.%m.%Y",
    "NBKR": "https://www.nbkr.kg/XML/daily.xml",
    "NBT": "https://www.nbt.tj/en/kurs/export_xml.php?date=%Y-%m-%d&export=xmlout",
    "CBU": "https://cbu.uz/en/arkhiv-kursov-valyut/json/all/%Y-%m-%d/",
    "CBT": "https://cbt.tm/kurs/%Y/%d%m%Y.xml",
    "CBR": "https://www.cbr.ru/scripts/XML_daily.asp?date_req=%d/%m/%Y",
}

# CBT answers the default urllib agent with 403; a browser-like agent is what its site expects.
USER_AGENT = "Mozilla/5.0 (compatible; SteppeWireRates/1.0; +https://github.com/steppe-wire)"


class FeedUnavailable(Exception):
    """The source could not be reached or refused to answer (after the allowed retries)."""


@dataclass(frozen=True)
class FeedResult:
    source: str
    url: str
    sheet: RateSheet | None = None
    error: str | None = None


Getter = Callable[[str], bytes]


@dataclass(frozen=True)
class HttpGetter:
    """GET with a per-attempt timeout; transient failures (5xx, 429, timeouts) are retried with backoff."""

    timeout_seconds: float = 8.0
    attempts: int = 3
    backoff_seconds: float = 0.5

    def __call__(self, url: str) -> bytes:
        last_problem = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            try:
                request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    body: bytes = response.read()
                    return body
            except urllib.error.HTTPError as error:
                last_problem = f"HTTP {error.code}"
                if error.code < 500 and error.code != 429:
                    break  # the source's answer is final (e.g. CBT's 404 on Sundays)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                last_problem = f"unreachable ({reason})"
            if attempt < self.attempts:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise FeedUnavailable(last_problem)


def feed_url(source: str, on: date, overrides: Mapping[str, str]) -> str:
    return on.strftime(overrides.get(source) or OFFICIAL_FEED_URLS[source])


def fetch_feed(source: str, url: str, get: Getter) -> FeedResult:
    try:
        return FeedResult(source, url, sheet=PARSERS[source](get(url)))
    except FeedUnavailable as error:
        return FeedResult(source, url, error=str(error))
    except FeedFormatError as error:
        return FeedResult(source, url, error=f"unusable answer: {error.problem}")
    except Exception as error:  # noqa: BLE001  # a parser bug on an unforeseen file must not cost the other sources
        return FeedResult(source, url, error=f"unexpected {type(error).__name__}: {error}")


def fetch_all_feeds(on: date, overrides: Mapping[str, str], get: Getter) -> dict[str, FeedResult]:
    """Every source at once; one slow or broken source costs only its own timeout."""
    urls = {source: feed_url(source, on, overrides) for source in OFFICIAL_FEED_URLS}
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        futures = {source: pool.submit(fetch_feed, source, url, get) for source, url in urls.items()}
        return {source: future.result() for source, future in futures.items()}
