"""Importing an uploaded WordPress export: a coordinator reads the file, workers publish its posts.

The coordinator (one S3 event, or a "continue" message it sent itself) reads the export twice, streaming:
the first pass checks the whole file and counts its items (a broken file is refused with its line and
column before anything is imported) and gathers what posts refer to elsewhere (authors, categories,
featured images, translation groups); the second pass maps each item and hands the posts to the
workers through SQS, recording a checkpoint every so many items (`Pacing`). When its time runs short it
sends itself a message to carry on from the checkpoint (every invocation reads the first pass again: it
is a fraction of the time the posts take, and no state but the checkpoint has to be kept).

Workers publish each post through the publishing domain (`Publisher.publish_source`) and count it;
whoever counts the last item writes the final report, and the report is refreshed while the import runs.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any, Final, Protocol, cast

from steppewire.articles.document import Article, article_from_wordpress
from steppewire.articles.publishing import ObjectEvent, ObjectStorage, Publisher, SourceResult
from steppewire.articles.store import timestamp
from steppewire.imports.mapping import ExportContext, ImportedPost, Skipped, map_item
from steppewire.imports.runs import EXPORT_SUFFIXES, IMPORTS_PREFIX, Counted, ImportRun, ImportRuns, ItemNote, RunStatus
from steppewire.imports.wxr import ExportBroken, ExportReader

__all__ = ["Coordinator", "ItemImporter", "import_report"]


@dataclass(frozen=True)
class Pacing:
    """How a coordinator spends an invocation: a checkpoint every `checkpoint_items` items, and the
    hand-over to a new invocation once fewer than `safety_seconds` remain."""

    checkpoint_items: int
    safety_seconds: float  # one more checkpoint's worth of items, and the hand-over, fit in it


MAX_MESSAGE_BYTES: Final = 250_000  # SQS takes 256 KiB a message (and a batch), attributes included
COMPRESSED_POST: Final = "post_zlib"  # a message's post as base64 of zlib of its JSON, when plain is too long
_GZIP_MAGIC: Final = b"\x1f\x8b"
_READ_BUFFER: Final = 1 << 16
_COUNTED: Final = {
    SourceResult.IMPORTED: Counted.IMPORTED,
    SourceResult.UPDATED: Counted.UPDATED,
    SourceResult.UNCHANGED: Counted.UNCHANGED,
    SourceResult.REJECTED: Counted.REJECTED,
}

_log = logging.getLogger(__name__)


class ExportFiles(Protocol):
    def open(self, bucket: str, key: str, version_id: str | None) -> AbstractContextManager[IO[bytes]]:
        """The export's bytes as stored (gzip or not), streamed."""
        ...


class PostQueue(Protocol):
    def send(self, messages: Sequence[str]) -> None: ...


class RunQueue(Protocol):
    def carry_on(self, run_id: str) -> None:
        """Ask for another coordinator invocation of this run."""
        ...


@contextmanager
def _export_stream(files: ExportFiles, run: ImportRun) -> Iterator[IO[bytes]]:
    with files.open(run.bucket, run.key, run.version_id) as raw:
        head = raw.read(len(_GZIP_MAGIC))
        stream = io.BufferedReader(_Rejoined(head, raw), buffer_size=_READ_BUFFER)
        if head == _GZIP_MAGIC:  # by content, whatever the name says
            with gzip.GzipFile(fileobj=stream) as unzipped:
                yield cast("IO[bytes]", unzipped)
        else:
            yield stream


class _Rejoined(io.RawIOBase):
    """The bytes already read to tell gzip from XML, then the rest of the stream (S3's cannot seek)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._head[: len(buffer)] if self._head else self._rest.read(len(buffer))
        self._head = self._head[len(data) :]
        buffer[: len(data)] = data
        return len(data)


class Coordinator:
    def __init__(
        self,
        runs: ImportRuns,
        files: ExportFiles,
        posts: PostQueue,
        again: RunQueue,
        reports: ObjectStorage,
        clock: Callable[[], datetime],
        pacing: Pacing,
    ) -> None:
        self._pacing = pacing
        self._runs = runs
        self._files = files
        self._posts = posts
        self._again = again
        self._reports = reports
        self._clock = clock

    def start(self, event: ObjectEvent, remaining_seconds: Callable[[], float]) -> None:
        if event.removed or not event.key.startswith(IMPORTS_PREFIX) or event.key.endswith("/"):
            return  # deleting an export undoes nothing: its posts are articles now
        run = self._runs.begin(
            ImportRun(
                run_id=f"{event.key}#{event.order}",
                bucket=event.bucket,
                key=event.key,
                version_id=event.version_id,
                started_at=timestamp(self._clock()),
            )
        )
        if not event.key.lower().endswith(EXPORT_SUFFIXES):
            self._refuse(run, "an export must be a WordPress export file named .xml or .xml.gz")
            return
        self._carry_on(run, remaining_seconds)

    def resume(self, run_id: str, remaining_seconds: Callable[[], float]) -> None:
        run = self._runs.run(run_id)
        if run is not None:
            self._carry_on(run, remaining_seconds)

    def _refuse(self, run: ImportRun, error: str) -> None:
        now = timestamp(self._clock())
        self._runs.end(run.run_id, RunStatus.REFUSED, now, error)
        refused = replace(run, status=RunStatus.REFUSED, finished_at=now, error=error)
        self._reports.put_report(run.bucket, run.report_key, import_report(refused, [], self._clock()))

    def _carry_on(self, run: ImportRun, remaining_seconds: Callable[[], float]) -> None:
        if run.status is not RunStatus.IMPORTING:
            return
        context = ExportContext()
        counts: Counter[str] = Counter()
        try:
            with _export_stream(self._files, run) as stream:
                reader = ExportReader(stream)
                for item in reader:
                    context.see(item)
                    counts[f"{item.post_type or '(none)'}/{item.status or '(none)'}"] += 1
            context.channel = reader.channel
        except (ExportBroken, OSError, EOFError, zlib.error) as broken:  # what a damaged gzip raises
            self._refuse(run, f"the export cannot be read: {broken}; nothing was imported")
            return
        if not counts:
            self._refuse(run, "the export has no items; nothing was imported")
            return
        run = self._runs.counted(run.run_id, sum(counts.values()), dict(counts))
        progress(self._runs, self._reports, run, self._clock)
        self._hand_out(run, context, remaining_seconds)

    def _hand_out(self, run: ImportRun, context: ExportContext, remaining_seconds: Callable[[], float]) -> None:
        groups = context.groups()
        start = run.next_item
        messages: list[str] = []
        skipped = 0
        with _export_stream(self._files, run) as stream:
            for index, item in enumerate(ExportReader(stream)):
                if index < start:
                    continue
                decision = map_item(item, context, groups)
                if isinstance(decision, Skipped):
                    skipped += 1
                else:
                    message = _message(run, index, decision)
                    if isinstance(message, str):
                        messages.append(message)
                    else:
                        self._too_big(run, index, decision, message)
                if index + 1 - start >= self._pacing.checkpoint_items:
                    advanced = self._checkpoint(run, start, index + 1, messages, skipped)
                    if advanced is None:
                        return
                    run, start, messages, skipped = advanced, index + 1, [], 0
                    if start < run.total and remaining_seconds() < self._pacing.safety_seconds:
                        self._again.carry_on(run.run_id)
                        return
        if start < run.total:
            self._checkpoint(run, start, run.total, messages, skipped)

    def _checkpoint(self, run: ImportRun, start: int, end: int, messages: list[str], skipped: int) -> ImportRun | None:
        self._posts.send(messages)
        advanced = self._runs.advance(run.run_id, start, end, skipped)
        if advanced is not None:
            if advanced.complete:
                finish(self._runs, self._reports, advanced, self._clock)
            else:
                progress(self._runs, self._reports, advanced, self._clock)
        return advanced

    def _too_big(self, run: ImportRun, index: int, post: ImportedPost, sizes: tuple[int, int]) -> None:
        read, packed = sizes
        reason = (
            f"the post is {read:,} bytes once read ({packed:,} compressed), more than one queue message holds"
            f" ({MAX_MESSAGE_BYTES:,})"
        )
        note = ItemNote(index, post.post_id, post.title, Counted.REJECTED, (reason,))
        self._runs.record(run.run_id, Counted.REJECTED, note)


def _message(run: ImportRun, index: int, post: ImportedPost) -> str | tuple[int, int]:
    """The post's queue message; a long one travels compressed (an article's HTML shrinks several times over).
    Too long even so: its size read and compressed, for the report."""
    # A later export's version of a post wins; of two runs of the same version, the later run.
    envelope = {"run": run.run_id, "item": index, "order": f"W{post.modified}|{run.started_at}"}
    plain = json.dumps(envelope | {"post": post.to_json()}, ensure_ascii=False)
    if len(plain.encode()) <= MAX_MESSAGE_BYTES:
        return plain
    packed = base64.b64encode(zlib.compress(json.dumps(post.to_json(), ensure_ascii=False).encode(), 9)).decode()
    message = json.dumps(envelope | {COMPRESSED_POST: packed})
    return message if len(message) <= MAX_MESSAGE_BYTES else (len(plain.encode()), len(message))


def _post_of(envelope: Mapping[str, Any]) -> ImportedPost:
    if COMPRESSED_POST in envelope:
        return ImportedPost.from_json(json.loads(zlib.decompress(base64.b64decode(envelope[COMPRESSED_POST]))))
    return ImportedPost.from_json(envelope["post"])


def imported_article(post: ImportedPost) -> Article:
    article = article_from_wordpress(post.fields, post.content)
    return replace(
        article,
        hidden_reason=post.hidden_reason,
        translation_group=post.translation_group,
        legacy_paths=post.legacy_paths,
    )


class ItemImporter:
    """A worker: one post message in, the post published (or refused) and counted once."""

    def __init__(
        self, publisher: Publisher, runs: ImportRuns, reports: ObjectStorage, clock: Callable[[], datetime]
    ) -> None:
        self._publisher = publisher
        self._runs = runs
        self._reports = reports
        self._clock = clock

    def handle(self, body: str) -> Counted | None:
        """Returns how the item was counted, or None when a duplicate delivery changed nothing."""
        envelope = json.loads(body)
        post = _post_of(envelope)
        outcome = self._publisher.publish_source(
            post.source_key,
            order=envelope["order"],
            content_sha256=post.content_sha256,
            build=lambda: imported_article(post),
        )
        counted = _COUNTED[outcome.result]
        reasons = tuple(str(problem) for problem in outcome.problems) + post.notes + outcome.notes
        if post.hidden_reason and counted is not Counted.REJECTED:
            reasons += (f"stored hidden, never public: {post.hidden_reason}",)
        note = ItemNote(int(envelope["item"]), post.post_id, post.title, counted, reasons)
        recorded = self._runs.record(envelope["run"], counted, note)
        # A duplicate delivery was counted before, but its first attempt may have failed before the end.
        run = recorded or self._runs.run(envelope["run"])
        if run is not None and run.complete:
            finish(self._runs, self._reports, run, self._clock)
        elif recorded is not None:
            progress(self._runs, self._reports, recorded, self._clock)
        return counted if recorded is not None else None


def progress(runs: ImportRuns, reports: ObjectStorage, run: ImportRun, clock: Callable[[], datetime]) -> None:
    """The progress report, at most once a second. Written from a snapshot, it may land after the final
    report: whoever wrote it then writes the final one again, so that the final report is the last."""
    now = clock()
    if not runs.claim_report(run.run_id, timestamp(now)):
        return
    reports.put_report(run.bucket, run.report_key, import_report(run, [], now))
    latest = runs.run(run.run_id)
    if latest is not None and latest.status is RunStatus.FINISHED:
        finish(runs, reports, latest, clock)


def finish(runs: ImportRuns, reports: ObjectStorage, run: ImportRun, clock: Callable[[], datetime]) -> None:
    """The final report, by whoever counted the last item (again on a redelivery; it reads the same). The
    run is marked finished first: a progress report written meanwhile then sees it (see `progress`)."""
    now = clock()
    runs.end(run.run_id, RunStatus.FINISHED, timestamp(now))
    finished = runs.run(run.run_id) or replace(run, status=RunStatus.FINISHED, finished_at=timestamp(now))
    reports.put_report(run.bucket, run.report_key, import_report(finished, runs.notes(run.run_id), now))


def import_report(run: ImportRun, notes: Sequence[ItemNote], now: datetime) -> dict[str, Any]:
    started = datetime.fromisoformat(run.started_at)
    ended = datetime.fromisoformat(run.finished_at) if run.finished_at else now
    elapsed = max((ended - started).total_seconds(), 0.0)
    posts = sum(run.counts[name] for name in Counted if name is not Counted.SKIPPED)
    report: dict[str, Any] = {
        "export": f"s3://{run.bucket}/{run.key}",
        "status": run.status.value,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "elapsed_seconds": round(elapsed, 1),
        "items": {
            "total": run.total,
            "done": run.done,
            "by_type_and_status": dict(sorted(run.by_type_and_status.items())),
        },
        "counts": {name.value: run.counts[name] for name in Counted},
        "posts_per_second": round(posts / elapsed, 1) if elapsed > 0 else None,
    }
    if run.error:
        report["error"] = run.error
    if run.status is RunStatus.FINISHED:
        report["rejected"] = [_line(note) for note in notes if note.counted is Counted.REJECTED]
        report["notes"] = [_line(note) for note in notes if note.counted is not Counted.REJECTED]
    return report


def _line(note: ItemNote) -> Mapping[str, Any]:
    return {"post_id": note.post_id, "title": note.title, "outcome": note.counted.value, "reasons": list(note.reasons)}
