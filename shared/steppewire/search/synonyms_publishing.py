"""From an S3 event about `config/synonyms.yaml` to the synonyms search uses, and a report beside the file
(`reports/config/synonyms.yaml.json`, as articles get theirs).

Every event applies the file as it is now, not the version the event names: whatever order S3's events arrive
in, the last one handled leaves the latest file in force. A file with any problem changes nothing (the report
lists them all); a deleted file brings back the built-in synonyms. Faults of ours raise, as for articles: SQS
retries the event, then dead-letters it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from steppewire.articles.publishing import ObjectEvent, ObjectStorage, report_key
from steppewire.search.synonym_store import CONFIG_PREFIX, SYNONYMS_KEY, SYNONYMS_TTL_SECONDS
from steppewire.search.synonyms import (
    BUILT_IN,
    MAX_FILE_BYTES,
    Problem,
    SynonymsRejected,
    SynonymTable,
    parse_synonyms,
    seed,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


class SynonymsStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REMOVED = "removed"


@dataclass(frozen=True)
class SynonymsReport:
    status: SynonymsStatus
    source: str
    table: SynonymTable | None = None  # the table now in force, when this event changed it
    errors: Sequence[Problem] = ()
    notes: Sequence[str] = ()

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"status": self.status.value, "source": self.source}
        if self.table is not None:
            document["synonyms"] = {"version": self.table.etag, **self.table.counts}
        if self.errors:
            document["errors"] = [{"field": where, "message": message} for where, message in self.errors]
        if self.table is not None and self.table.warnings:
            document["warnings"] = list(self.table.warnings)
        if self.notes:
            document["notes"] = list(self.notes)
        return document


class CompiledSynonyms(Protocol):
    def write(self, bucket: str, compiled: str) -> None: ...


_LIVE = f"search uses them within {SYNONYMS_TTL_SECONDS} seconds"
_UNCHANGED = "nothing of this file is used: the synonyms in force stay as they were"


class SynonymsPublisher:
    def __init__(self, storage: ObjectStorage, compiled: CompiledSynonyms) -> None:
        self._storage = storage
        self._compiled = compiled

    def handle(self, event: ObjectEvent) -> SynonymsReport | None:
        """Apply one event under config/; returns the report written, or None when there is nothing to say."""
        if not event.key.startswith(CONFIG_PREFIX) or (event.key.endswith("/") and (event.removed or not event.size)):
            return None
        if event.key != SYNONYMS_KEY:
            if event.removed:
                return None
            report = SynonymsReport(
                SynonymsStatus.REJECTED,
                self._source(event.bucket, event.key),
                errors=[("file", f"only {SYNONYMS_KEY} is read from {CONFIG_PREFIX}; this file is not used")],
            )
        else:
            report = self._apply(event)
        self._storage.put_report(event.bucket, report_key(event.key), report.as_dict())
        return report

    def _source(self, bucket: str, key: str) -> str:
        return f"s3://{bucket}/{key}"

    def _apply(self, event: ObjectEvent) -> SynonymsReport:
        source = self._source(event.bucket, SYNONYMS_KEY)
        if not event.removed and event.size is not None and event.size > MAX_FILE_BYTES:
            limit = f"the file is {event.size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (256 KiB)"
            return SynonymsReport(SynonymsStatus.REJECTED, source, errors=[("file", limit)], notes=[_UNCHANGED])
        data = self._storage.read(event.bucket, SYNONYMS_KEY, None)
        if data is None:
            self._compiled.write(event.bucket, SynonymTable({}, source=BUILT_IN).to_json())
            gone = f"the file is gone: the built-in synonyms apply; {_LIVE}"
            return SynonymsReport(SynonymsStatus.REMOVED, source, seed(), notes=[gone])
        try:
            table = parse_synonyms(data, source=source)
        except SynonymsRejected as rejection:
            return SynonymsReport(SynonymsStatus.REJECTED, source, errors=rejection.problems, notes=[_UNCHANGED])
        self._compiled.write(event.bucket, table.to_json())
        return SynonymsReport(SynonymsStatus.ACCEPTED, source, table, notes=[_LIVE])
