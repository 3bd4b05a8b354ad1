"""One import of one uploaded export: its progress, its counters and the notes of its report.

A run is keyed by the export's key and S3's order for that upload, so the same file uploaded again is a
new run (which changes nothing that is already imported), and a duplicate S3 event joins the run it
started. Every item is counted once: a worker's count and the item's marker are written in one
transaction, so a message delivered twice is counted once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol

IMPORTS_PREFIX: Final = "imports/"
REPORTS_PREFIX: Final = "reports/imports/"
EXPORT_SUFFIXES: Final = (".xml", ".xml.gz")


class RunStatus(StrEnum):
    IMPORTING = "importing"
    FINISHED = "finished"
    REFUSED = "refused"  # the export cannot be read: nothing was imported


class Counted(StrEnum):
    """What became of an item; every item ends in exactly one of these."""

    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ItemNote:
    """A line of the report about one post: why it was rejected, or what was decided for it."""

    item: int  # its position in the export
    post_id: int | None
    title: str
    counted: Counted
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ImportRun:
    run_id: str
    bucket: str
    key: str
    version_id: str | None
    started_at: str  # fixed-width UTC text
    status: RunStatus = RunStatus.IMPORTING
    total: int = 0  # items in the export, known once the first pass is done
    by_type_and_status: dict[str, int] = field(default_factory=dict)  # "post/publish" -> items
    next_item: int = 0  # the first item not yet handed to the workers (the checkpoint)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Counted, 0))
    finished_at: str | None = None
    error: str | None = None

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total and self.next_item >= self.total

    @property
    def report_key(self) -> str:
        return report_key(self.key)


def report_key(export_key: str) -> str:
    """`imports/site.xml.gz` -> `reports/imports/site.json`."""
    name = export_key.removeprefix(IMPORTS_PREFIX)
    for suffix in sorted(EXPORT_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    return f"{REPORTS_PREFIX}{name}.json"


class ImportRuns(Protocol):
    def run(self, run_id: str) -> ImportRun | None: ...

    def begin(self, run: ImportRun) -> ImportRun:
        """Create the run, or return the one an earlier delivery of the same event created."""
        ...

    def counted(self, run_id: str, total: int, by_type_and_status: dict[str, int]) -> ImportRun:
        """Record what the first pass found."""
        ...

    def advance(self, run_id: str, start: int, end: int, skipped: int) -> ImportRun | None:
        """Move the checkpoint from `start` to `end`, counting the skipped items among them; None when
        the checkpoint is not at `start` any more (another invocation carries the run on)."""
        ...

    def record(self, run_id: str, counted: Counted, note: ItemNote) -> ImportRun | None:
        """Count one item (and keep its note if it has reasons); None when it was counted already."""
        ...

    def notes(self, run_id: str) -> list[ItemNote]: ...

    def claim_report(self, run_id: str, now: str) -> bool:
        """True for at most one caller a second (`now` is in whole seconds): it writes the progress report."""
        ...

    def end(self, run_id: str, status: RunStatus, now: str, error: str | None = None) -> None: ...
