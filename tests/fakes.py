"""In-memory stand-ins for the data-access Protocols, for unit tests of the domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from steppewire.articles.document import Article
from steppewire.articles.store import OutOfOrder, SlugTaken, SourceState, StoredArticle, Translation, legacy_path
from steppewire.imports.runs import Counted, ImportRun, ItemNote, RunStatus
from steppewire.rates.status import SourceStatus
from steppewire.rates.ticker import DailyRate, TickerEntry
from steppewire.search.index_store import Key
from steppewire.search.schema import DirectoryEntry, IndexPolicy, directory_from_attributes

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
        self.statuses: dict[str, SourceStatus] = {}
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
        self.entries[entry.current.currency] = replace(entry, updated_at=updated_at)

    def first_date(self, currency: str) -> date | None:
        return min((d for (c, d) in self.rates if c == currency), default=None)

    def source_statuses(self) -> dict[str, SourceStatus]:
        return dict(self.statuses)

    def put_source_status(self, status: SourceStatus) -> None:
        self.writes += 1
        self.statuses[status.source] = status


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


class InMemoryImportRuns:
    """The import runs' store in dicts, with the same once-only counting as the DynamoDB adapter."""

    def __init__(self) -> None:
        self.runs: dict[str, ImportRun] = {}
        self.counted_items: set[tuple[str, int]] = set()
        self.kept_notes: dict[str, dict[int, ItemNote]] = {}
        self.report_claims: dict[str, str] = {}

    def run(self, run_id: str) -> ImportRun | None:
        return self.runs.get(run_id)

    def begin(self, run: ImportRun) -> ImportRun:
        return self.runs.setdefault(run.run_id, run)

    def counted(self, run_id: str, total: int, by_type_and_status: dict[str, int]) -> ImportRun:
        self.runs[run_id] = replace(self.runs[run_id], total=total, by_type_and_status=dict(by_type_and_status))
        return self.runs[run_id]

    def advance(self, run_id: str, start: int, end: int, skipped: int) -> ImportRun | None:
        run = self.runs[run_id]
        if run.next_item != start:
            return None
        counts = run.counts | {Counted.SKIPPED: run.counts[Counted.SKIPPED] + skipped}
        self.runs[run_id] = replace(run, next_item=end, counts=counts)
        return self.runs[run_id]

    def record(self, run_id: str, counted: Counted, note: ItemNote) -> ImportRun | None:
        if (run_id, note.item) in self.counted_items:
            return None
        self.counted_items.add((run_id, note.item))
        if note.reasons:
            self.kept_notes.setdefault(run_id, {})[note.item] = note
        run = self.runs[run_id]
        self.runs[run_id] = replace(run, counts=run.counts | {counted: run.counts[counted] + 1})
        return self.runs[run_id]

    def notes(self, run_id: str) -> list[ItemNote]:
        return [note for _, note in sorted(self.kept_notes.get(run_id, {}).items())]

    def claim_report(self, run_id: str, now: str) -> bool:
        if self.report_claims.get(run_id, "") >= now:
            return False
        self.report_claims[run_id] = now
        return True

    def end(self, run_id: str, status: RunStatus, now: str, error: str | None = None) -> None:
        run = self.runs[run_id]
        if run.status is RunStatus.IMPORTING:
            self.runs[run_id] = replace(run, status=status, finished_at=now, error=error)


def whole_directory(items: Mapping[Key, Mapping[str, Any]], policy: IndexPolicy) -> dict[str, DirectoryEntry]:
    """Every shard's entries in one mapping (from items read by `policy.directory_keys()`)."""
    shards = (directory_from_attributes(items.get(key)) for key in policy.directory_keys())
    return {term: entry for shard in shards for term, entry in shard.items()}
