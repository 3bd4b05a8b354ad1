"""In-memory stand-ins for the data-access Protocols, for unit tests of the domain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from steppewire.articles.store import StoredArticle
from steppewire.rates.ticker import DailyRate, TickerEntry

# What a stored article has that the search tests do not care about.
_STORED_DEFAULTS: Mapping[str, Any] = {
    "author": None,
    "summary": None,
    "image": None,
    "category": None,
    "country": None,
    "tags": (),
    "lang": "en",
    "body_html": "",
    "excerpt": "",
    "revision": 1,
    "source_key": "incoming/test.md",
    "content_sha256": "0" * 64,
    "created_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-20T10:00:00Z",
}


def stored_article(**fields: Any) -> StoredArticle:
    """A stored article with these fields (slug, title, text and published_at at least), the rest plain."""
    return StoredArticle.from_item({**_STORED_DEFAULTS, **fields})


class InMemoryRatesRepository:
    def __init__(self) -> None:
        self.rates: dict[tuple[str, date], DailyRate] = {}
        self.entries: dict[str, TickerEntry] = {}
        self.writes = 0

    def put_rate(self, rate: DailyRate, fetched_at: datetime) -> None:
        self.writes += 1
        self.rates[(rate.currency, rate.effective_date)] = rate

    def latest_rates(self, currency: str, up_to: date, limit: int) -> list[DailyRate]:
        dates = sorted((d for (c, d) in self.rates if c == currency and d <= up_to), reverse=True)
        return [self.rates[(currency, d)] for d in dates[:limit]]

    def history(self, currency: str, start: date, end: date) -> list[DailyRate]:
        dates = sorted(d for (c, d) in self.rates if c == currency and start <= d <= end)
        return [self.rates[(currency, d)] for d in dates]

    def ticker(self) -> dict[str, TickerEntry]:
        return dict(self.entries)

    def put_ticker_entry(self, entry: TickerEntry, updated_at: datetime) -> None:
        self.writes += 1
        self.entries[entry.current.currency] = entry
