"""The publisher's rules on in-memory stores: S3's order, duplicate bytes, slugs owned by one file, renames."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from steppewire.articles import publishing
from steppewire.articles.publishing import ObjectEvent, Publisher, Status
from tests.fakes import InMemoryArticleStore, InMemoryBucket, RecordingIndexFeed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def story(title: str = "Tenge steadies", **fields: str) -> bytes:
    lines = ["---", f"title: {title}", "date: 2026-11-20", *(f"{k}: {v}" for k, v in fields.items()), "---"]
    return ("\n".join(lines) + "\n\nThe National Bank kept its rate.\n").encode()


class Newsroom:
    def __init__(self) -> None:
        self.store = InMemoryArticleStore()
        self.bucket = InMemoryBucket()
        self.index = RecordingIndexFeed()
        self.publisher = Publisher(self.store, self.bucket, self.index, clock=lambda: NOW)
        self._sequencer = 0

    def event(self, key: str, *, removed: bool = False, sequencer: int | None = None) -> ObjectEvent:
        if sequencer is None:
            self._sequencer += 16
            sequencer = self._sequencer
        return ObjectEvent("articles", key, removed, None, None, f"{sequencer:X}", "2026-11-26T12:00:00Z")

    def upload(self, key: str, data: bytes) -> ObjectEvent:
        self.bucket.objects[key] = data
        return self.event(key)

    def delete(self, key: str) -> ObjectEvent:
        self.bucket.objects.pop(key, None)
        return self.event(key, removed=True)

    def status(self, event: ObjectEvent) -> Status | None:
        report = self.publisher.handle(event)
        return report.status if report else None


@pytest.fixture
def newsroom() -> Newsroom:
    return Newsroom()


def test_an_update_is_the_next_revision_and_keeps_the_slug_of_a_retitled_story(newsroom: Newsroom) -> None:
    assert newsroom.status(newsroom.upload("incoming/a.md", story())) is Status.PUBLISHED
    assert newsroom.status(newsroom.upload("incoming/a.md", story("Tenge slides"))) is Status.UPDATED
    stored = newsroom.store.article("tenge-steadies")
    assert stored is not None and (stored.title, stored.revision) == ("Tenge slides", 2)
    assert newsroom.index.announced == [("upsert", "tenge-steadies", 1), ("upsert", "tenge-steadies", 2)]


def test_identical_bytes_change_nothing_and_only_remind_the_indexer(newsroom: Newsroom) -> None:
    newsroom.status(newsroom.upload("incoming/a.md", story()))
    assert newsroom.status(newsroom.upload("incoming/a.md", story())) is None
    stored = newsroom.store.article("tenge-steadies")
    assert stored is not None and stored.revision == 1
    assert newsroom.index.announced == [("upsert", "tenge-steadies", 1)] * 2  # the indexer skips a known revision


def test_a_late_older_event_changes_nothing(newsroom: Newsroom) -> None:
    newer = newsroom.upload("incoming/a.md", story("Second"))
    older = newsroom.event("incoming/a.md", sequencer=1)
    assert newsroom.status(newer) is Status.PUBLISHED
    assert newsroom.status(older) is None
    assert newsroom.status(newsroom.event("incoming/a.md", removed=True, sequencer=2)) is None  # an old delete
    assert newsroom.store.article("second") is not None


def test_a_slug_owned_by_another_file_is_refused_and_the_owner_stays(newsroom: Newsroom) -> None:
    newsroom.status(newsroom.upload("incoming/a.md", story(slug="rate-decision")))
    report = newsroom.publisher.handle(newsroom.upload("incoming/b.md", story("Other", slug="rate-decision")))
    assert report is not None and report.status is Status.REJECTED
    assert report.errors[0].field == "slug" and "incoming/a.md" in report.errors[0].message
    owner = newsroom.store.article("rate-decision")
    assert owner is not None and owner.source_key == "incoming/a.md"


def test_a_new_slug_in_the_front_matter_moves_the_article(newsroom: Newsroom) -> None:
    newsroom.status(newsroom.upload("incoming/a.md", story(slug="old-name")))
    assert newsroom.status(newsroom.upload("incoming/a.md", story(slug="new-name"))) is Status.UPDATED
    assert newsroom.store.article("old-name") is None
    assert newsroom.store.article("new-name") is not None
    assert newsroom.index.announced[-2:] == [("delete", "old-name", 1), ("upsert", "new-name", 2)]


def test_a_rejected_update_leaves_the_published_version_online(newsroom: Newsroom) -> None:
    newsroom.status(newsroom.upload("incoming/a.md", story()))
    report = newsroom.publisher.handle(newsroom.upload("incoming/a.md", b"---\ntitle: Broken\n---\nno date\n"))
    assert report is not None and report.status is Status.REJECTED
    assert "stays online at /articles/tenge-steadies" in report.notes[0]
    assert newsroom.store.article("tenge-steadies") is not None


def test_deleting_unpublishes_and_a_file_gone_before_its_event_is_skipped(newsroom: Newsroom) -> None:
    newsroom.status(newsroom.upload("incoming/a.md", story()))
    assert newsroom.status(newsroom.delete("incoming/a.md")) is Status.UNPUBLISHED
    assert newsroom.store.article("tenge-steadies") is None
    assert newsroom.index.announced[-1] == ("delete", "tenge-steadies", 1)
    vanished = newsroom.event("incoming/b.md")  # uploaded, then deleted before its event arrived
    assert newsroom.status(vanished) is None
    assert newsroom.bucket.reports.keys() == {"reports/a.md.json"}


def test_a_fault_of_ours_while_reading_gets_a_failed_report_not_a_retry(
    newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_parser(data: bytes, filename: str) -> None:
        raise KeyError("a bug the tests have not found yet")

    monkeypatch.setattr(publishing, "parse_article", broken_parser)
    report = newsroom.publisher.handle(newsroom.upload("incoming/a.md", story()))
    assert report is not None and report.status is Status.FAILED
    document = newsroom.bucket.reports["reports/a.md.json"]
    assert document["status"] == "failed"
    assert document["errors"][0]["field"] == "file" and "KeyError" in document["errors"][0]["message"]
    assert newsroom.store.articles == {} and newsroom.index.announced == []


def test_a_file_named_like_a_folder_is_refused_and_a_folder_marker_ignored(newsroom: Newsroom) -> None:
    newsroom.bucket.objects["incoming/2026/"] = story()
    named_like_a_folder = ObjectEvent("articles", "incoming/2026/", False, 80, None, "10", "2026-11-26T12:00:00Z")
    report = newsroom.publisher.handle(named_like_a_folder)
    assert report is not None and report.status is Status.REJECTED
    assert "incoming/2026/story.md" in report.errors[0].message
    assert "reports/2026/.json" in newsroom.bucket.reports
    marker = ObjectEvent("articles", "incoming/drafts/", False, 0, None, "20", "2026-11-26T12:00:00Z")
    assert newsroom.publisher.handle(marker) is None
    assert newsroom.store.articles == {}
