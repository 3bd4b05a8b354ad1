"""From an S3 event about an editor's file to a published (or refused, or withdrawn) article.

Editors have no tool but the bucket, so every outcome is written back next to their file as
`reports/<path under incoming/>.json`. The rules:
- a file's own faults are final: the report says what to fix, nothing is stored, the event is done;
- anything else (throttling, timeouts, bugs) raises, so SQS retries and finally dead-letters it;
- events about one file apply in S3's order (the object's sequencer): a late, older event is dropped;
- the same bytes uploaded again change nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import unquote_plus

from steppewire.articles.document import (
    MAX_ARTICLE_BYTES,
    MAX_SLUG_CHARS,
    Article,
    ArticleRejected,
    Problem,
    parse_article,
)
from steppewire.articles.store import ArticleStore, OutOfOrder, SlugTaken, SourceState, StoredArticle, timestamp

INCOMING_PREFIX = "incoming/"
REPORTS_PREFIX = "reports/"
MAX_TAGS = 20  # keeps a publish within one DynamoDB transaction (cards per tag, old and new)
MAX_STORED_CHARS = 300_000  # rendered HTML plus plain text must fit a 400 KB DynamoDB item
MAX_KEY_BYTES = 1024  # S3's limit on an object key, in UTF-8 bytes
MAX_SLUG_SUFFIX = 50  # an imported post whose slug is taken tries slug-2 ... slug-50
_HASHED_TAIL = re.compile(r"~[0-9a-f]{64}\Z")

_log = logging.getLogger(__name__)


class Status(StrEnum):
    PUBLISHED = "published"
    UPDATED = "updated"
    UNPUBLISHED = "unpublished"
    REJECTED = "rejected"
    FAILED = "failed"  # the file could not be read because of a fault of ours (alarmed), not the editor's


class SourceResult(StrEnum):
    """What applying one source (an imported post) did."""

    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class SourceOutcome:
    result: SourceResult
    slug: str | None = None
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectEvent:
    bucket: str
    key: str
    removed: bool
    size: int | None
    version_id: str | None
    sequencer: str | None
    event_time: str

    @property
    def order(self) -> str:
        """Comparable across events of one key. S3's sequencer is hex of varying length (compare as a
        number); emulators that omit it fall back on the event time."""
        if self.sequencer:
            return f"S{int(self.sequencer, 16):040x}"
        return f"T{self.event_time}"


def object_events(message_body: str) -> list[ObjectEvent]:
    """The S3 records of one SQS message. S3's test message (sent when notifications are configured)
    has none; a body that is not an S3 notification at all is a poison message and raises."""
    notification = json.loads(message_body)
    if notification.get("Event") == "s3:TestEvent":
        return []
    events = []
    for record in notification["Records"]:
        s3 = record["s3"]
        events.append(
            ObjectEvent(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(s3["object"]["key"]),  # S3 sends keys URL-encoded, spaces as '+'
                removed=record["eventName"].startswith("ObjectRemoved"),
                size=s3["object"].get("size"),
                version_id=s3["object"].get("versionId"),
                sequencer=s3["object"].get("sequencer"),
                event_time=record["eventTime"],
            )
        )
    return events


@dataclass(frozen=True)
class Report:
    status: Status
    source: str
    slug: str | None = None
    revision: int | None = None
    published_at: str | None = None
    errors: Sequence[Problem] = ()
    warnings: Sequence[str] = ()
    notes: Sequence[str] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"status": self.status.value, "source": self.source}
        if self.slug:
            document |= {"slug": self.slug, "revision": self.revision}
        if self.slug and self.status in (Status.PUBLISHED, Status.UPDATED):
            document |= {"url": f"/articles/{self.slug}", "published_at": self.published_at}
        if self.errors:
            document["errors"] = [{"field": p.field, "message": p.message} for p in self.errors]
        if self.warnings:
            document["warnings"] = list(self.warnings)
        if self.notes:
            document["notes"] = list(self.notes)
        return document


class ObjectStorage(Protocol):
    def read(self, bucket: str, key: str, version_id: str | None) -> bytes | None:
        """The object's bytes, or None when it is gone (a later delete event follows)."""
        ...

    def put_report(self, bucket: str, key: str, document: Mapping[str, Any]) -> None: ...


class IndexFeed(Protocol):
    def announce(self, action: str, slug: str, revision: int) -> None:
        """Tell the search indexer that `slug` was published/updated ("upsert") or withdrawn ("delete")."""
        ...


def report_key(source_key: str) -> str:
    """`reports/<path under incoming/>.json`, unless that is over S3's key limit: then the path is cut (at
    a character) and followed by `~<sha256 of the whole key>`, so that every file still gets its own
    report. A path that already ends like that is hashed too, so no file can take another's report."""
    path = source_key.removeprefix(INCOMING_PREFIX)
    plain = f"{REPORTS_PREFIX}{path}.json"
    if len(plain.encode()) <= MAX_KEY_BYTES and not _HASHED_TAIL.search(path):
        return plain
    tail = f"~{hashlib.sha256(source_key.encode()).hexdigest()}.json"
    room = MAX_KEY_BYTES - len(REPORTS_PREFIX) - len(tail)
    head = path.encode()[:room].decode(errors="ignore")  # drops a character cut in two
    return f"{REPORTS_PREFIX}{head}{tail}"


def _storage_limits(article: Article) -> list[Problem]:
    problems = []
    if len(article.tags) > MAX_TAGS:
        problems.append(Problem("tags", f"{len(article.tags)} tags; at most {MAX_TAGS} are allowed"))
    stored = len(article.body_html) + len(article.text)
    if stored > MAX_STORED_CHARS:
        problems.append(
            Problem(
                "body",
                f"the article is too long to publish ({stored:,} characters once rendered; "
                f"at most {MAX_STORED_CHARS:,}): split it into parts",
            )
        )
    return problems


def _our_fault(fault: Exception) -> Problem:
    return Problem(
        "file",
        f"Steppe Wire could not read this file because of a fault of its own ({type(fault).__name__}); "
        "the developers are alerted. Nothing was published; upload the file again once they say it is fixed.",
    )


class Publisher:
    def __init__(
        self, store: ArticleStore, storage: ObjectStorage, index: IndexFeed, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._storage = storage
        self._index = index
        self._clock = clock

    def handle(self, event: ObjectEvent) -> Report | None:
        """Apply one event; returns the report written, or None when the event changed nothing."""
        if not event.key.startswith(INCOMING_PREFIX):
            return None
        if event.key.endswith("/") and (event.removed or not event.size):
            return None  # a folder marker, as S3 consoles create them: nothing to publish or withdraw
        report = self._unpublish(event) if event.removed else self._publish(event)
        if report is not None:
            self._storage.put_report(event.bucket, report_key(event.key), report.as_dict())
        return report

    def _source(self, event: ObjectEvent) -> str:
        return f"s3://{event.bucket}/{event.key}"

    def _published_report(self, event: ObjectEvent, stored: StoredArticle, warnings: Sequence[str]) -> Report:
        published_at = stored.published_at
        notes = []
        if published_at > timestamp(self._clock()):
            notes.append(f"scheduled: the article becomes visible at {published_at}")
        return Report(
            Status.PUBLISHED if stored.revision == 1 else Status.UPDATED,
            self._source(event),
            slug=stored.slug,
            revision=stored.revision,
            published_at=published_at,
            warnings=warnings,
            notes=notes,
        )

    def _publish(self, event: ObjectEvent) -> Report | None:
        state = self._store.source_state(event.key)
        if state is not None and state.order > event.order:
            return None  # a newer version of this file was applied already
        if state is not None and state.order == event.order:
            # The same event again after a failure part-way: finish what it started (idempotently).
            stored = self._store.article(state.slug) if state.slug else None
            if stored is None:
                return None
            self._index.announce("upsert", stored.slug, stored.revision)
            return self._published_report(event, stored, ())
        if event.key.endswith("/"):
            unnamed = Problem(
                "file",
                "The file's name ends with '/', which S3 keeps for folders; upload it under a name of its own, "
                f"like {event.key}story.md",
            )
            return self._rejected(event, [unnamed], state)
        if event.size is not None and event.size > MAX_ARTICLE_BYTES:
            too_big = Problem(
                "file", f"The file is {event.size:,} bytes; the limit is {MAX_ARTICLE_BYTES:,} bytes (1 MiB)."
            )
            return self._rejected(event, [too_big], state)
        data = self._storage.read(event.bucket, event.key, event.version_id)
        if data is None:
            return None
        sha = hashlib.sha256(data).hexdigest()
        previous = self._store.article(state.slug) if state is not None and state.slug else None
        if previous is not None and state is not None and state.content_sha256 == sha:
            self._index.announce("upsert", previous.slug, previous.revision)  # harmless if already indexed
            return None
        try:
            article = parse_article(data, filename=event.key)
            if problems := _storage_limits(article):
                raise ArticleRejected(problems)
        except ArticleRejected as rejection:
            return self._rejected(event, rejection.problems, state)
        except Exception as fault:  # noqa: BLE001  # reading is a pure function of the bytes: a retry fails alike
            _log.exception("reading %s failed", event.key)
            return self._failed(event, fault, state)
        # Without an explicit slug an update keeps the published one: a retitled story keeps its URL.
        slug = previous.slug if previous is not None and article.slug_from_title else article.slug
        try:
            stored = self._store_and_announce(article, slug, event.key, event.order, sha, previous)
        except SlugTaken as taken:
            problem = Problem(
                "slug",
                f"'{taken.slug}' is already used by {taken.owner}; give this article "
                "its own slug (e.g. add 'slug: a-different-slug' to the front matter)",
            )
            return self._rejected(event, [problem], state)
        except OutOfOrder:
            return None
        return self._published_report(event, stored, article.warnings)

    def _store_and_announce(
        self, article: Article, slug: str, source_key: str, order: str, sha: str, previous: StoredArticle | None
    ) -> StoredArticle:
        stored = self._store.save(
            article,
            slug=slug,
            source_key=source_key,
            order=order,
            content_sha256=sha,
            previous=previous,
            now=self._clock(),
        )
        if previous is not None and previous.slug != stored.slug:
            self._index.announce("delete", previous.slug, previous.revision)
        self._index.announce("upsert", stored.slug, stored.revision)
        return stored

    def publish_source(
        self, source_key: str, *, order: str, content_sha256: str, build: Callable[[], Article]
    ) -> SourceOutcome:
        """Apply one article that comes from elsewhere than an upload (an imported post), through the same
        checks, storage and index messages. The same content again changes nothing; an older `order` than
        the one applied changes nothing; a slug another source holds gets the first free `-2`, `-3`, ..."""
        state = self._store.source_state(source_key)
        previous = self._store.article(state.slug) if state is not None and state.slug else None
        if state is not None and state.content_sha256 == content_sha256 and previous is not None:
            self._index.announce("upsert", previous.slug, previous.revision)  # harmless if already indexed
            return SourceOutcome(SourceResult.UNCHANGED, previous.slug)
        if state is not None and state.order >= order:
            return SourceOutcome(SourceResult.UNCHANGED, state.slug, notes=("a newer version was applied already",))
        try:
            article = build()
            if problems := _storage_limits(article):
                raise ArticleRejected(problems)
        except ArticleRejected as rejection:
            return SourceOutcome(SourceResult.REJECTED, problems=tuple(rejection.problems))
        except Exception as fault:  # noqa: BLE001  # a pure function of the content: a retry fails alike
            _log.exception("reading %s failed", source_key)
            return SourceOutcome(SourceResult.REJECTED, problems=(_our_fault(fault),))
        owner = ""
        wanted = previous.slug if previous is not None else article.slug
        for attempt in range(1, MAX_SLUG_SUFFIX + 1):
            slug = wanted if attempt == 1 else f"{wanted[: MAX_SLUG_CHARS - 3]}-{attempt}"
            try:
                stored = self._store_and_announce(article, slug, source_key, order, content_sha256, previous)
            except SlugTaken as taken:
                owner = taken.owner
                continue
            except OutOfOrder:
                return SourceOutcome(SourceResult.UNCHANGED, notes=("a newer version was applied meanwhile",))
            notes = () if slug == wanted else (f"the slug '{wanted}' is used by {owner}; this post is '{slug}'",)
            result = SourceResult.IMPORTED if stored.revision == 1 else SourceResult.UPDATED
            return SourceOutcome(result, stored.slug, notes=notes)
        taken_problem = Problem("slug", f"'{wanted}' and its suffixes up to -{MAX_SLUG_SUFFIX} are all taken")
        return SourceOutcome(SourceResult.REJECTED, problems=(taken_problem,))

    def _rejected(self, event: ObjectEvent, problems: Sequence[Problem], state: SourceState | None) -> Report:
        notes = []
        if state is not None and state.slug:
            notes.append(f"the previously published version stays online at /articles/{state.slug}")
        return Report(Status.REJECTED, self._source(event), errors=problems, notes=notes)

    def _failed(self, event: ObjectEvent, fault: Exception, state: SourceState | None) -> Report:
        return replace(self._rejected(event, [_our_fault(fault)], state), status=Status.FAILED)

    def _unpublish(self, event: ObjectEvent) -> Report | None:
        state = self._store.source_state(event.key)
        if state is not None and state.order >= event.order:
            return None
        previous = self._store.article(state.slug) if state is not None and state.slug else None
        try:
            self._store.remove(source_key=event.key, order=event.order, previous=previous)
        except OutOfOrder:
            return None
        if previous is None:
            return Report(Status.UNPUBLISHED, self._source(event), notes=["nothing was published from this file"])
        self._index.announce("delete", previous.slug, previous.revision)
        return Report(
            Status.UNPUBLISHED,
            self._source(event),
            slug=previous.slug,
            revision=previous.revision,
            published_at=previous.published_at,
        )
