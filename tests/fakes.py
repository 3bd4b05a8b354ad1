"""In-memory stand-ins for the data-access Protocols, for unit tests of the domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from steppewire.articles.document import Article
from steppewire.articles.store import OutOfOrder, SlugTaken, SourceState, StoredArticle, Translation, legacy_path
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


class InMemoryArticleStore:
    """The articles table's rules without DynamoDB: one owner per slug, events applied in order."""

    def __init__(self) -> None:
        self.articles: dict[str, StoredArticle] = {}
        self.sources: dict[str, SourceState] = {}

    def source_state(self, source_key: str) -> SourceState | None:
        return self.sources.get(source_key)

    def article(self, slug: str) -> StoredArticle | None:
        return self.articles.get(slug)

    def public_article(self, slug: str) -> StoredArticle | None:
        stored = self.articles.get(slug)
        return stored if stored is not None and stored.public else None

    def _visible(self, before: str) -> list[StoredArticle]:
        return [stored for stored in self.articles.values() if stored.public and stored.published_at <= before]

    def _check_order(self, source_key: str, order: str) -> None:
        state = self.sources.get(source_key)
        if state is not None and state.order >= order:
            raise OutOfOrder()

    def save(
        self,
        article: Article,
        *,
        slug: str,
        source_key: str,
        order: str,
        content_sha256: str,
        previous: StoredArticle | None,
        now: datetime,
    ) -> StoredArticle:
        owner = self.articles.get(slug)
        if owner is not None and owner.source_key != source_key:
            raise SlugTaken(slug, owner.source_key)
        self._check_order(source_key, order)
        stored = StoredArticle.of(
            article, slug=slug, source_key=source_key, sha=content_sha256, previous=previous, now=now
        )
        if previous is not None:
            self.articles.pop(previous.slug, None)
        self.articles[slug] = stored
        self.sources[source_key] = SourceState(slug, order, content_sha256)
        return stored

    def remove(self, *, source_key: str, order: str, previous: StoredArticle | None) -> None:
        self._check_order(source_key, order)
        if previous is not None:
            self.articles.pop(previous.slug, None)
        self.sources[source_key] = SourceState(None, order, None)

    def listing(
        self, facets: Sequence[str], *, before: str, limit: int, start_after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        raise NotImplementedError("the publisher never lists")

    def translations(self, group: str, *, before: str) -> list[Translation]:
        return [
            Translation(stored.slug, stored.lang)
            for stored in sorted(self._visible(before), key=lambda stored: stored.slug)
            if stored.translation_group is not None and stored.translation_group.casefold() == group.casefold()
        ]

    def redirect(self, address: str, *, before: str) -> str | None:
        path = legacy_path(address)
        targets = [stored for stored in self._visible(before) if path is not None and path in stored.legacy_paths]
        return min(targets, key=lambda stored: (stored.published_at, stored.slug)).slug if targets else None


class InMemoryBucket:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.reports: dict[str, Mapping[str, Any]] = {}

    def read(self, bucket: str, key: str, version_id: str | None) -> bytes | None:
        return self.objects.get(key)

    def put_report(self, bucket: str, key: str, document: Mapping[str, Any]) -> None:
        self.reports[key] = document


class RecordingIndexFeed:
    def __init__(self) -> None:
        self.announced: list[tuple[str, str, int]] = []

    def announce(self, action: str, slug: str, revision: int) -> None:
        self.announced.append((action, slug, revision))
