"""The import's coordinator and workers on in-memory stores: checkpoints and carry-on, refusals, the
report's rules."""

import base64
import gzip
import io
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pytest

from steppewire.articles.publishing import ObjectEvent, Publisher
from steppewire.imports.runs import RunStatus, report_key
from steppewire.imports.service import COMPRESSED_POST, MAX_MESSAGE_BYTES, Coordinator, ItemImporter, Pacing, progress
from tests.fakes import InMemoryArticleStore, InMemoryBucket, InMemoryImportRuns, RecordingIndexFeed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"
NEWSROOM = (FIXTURES / "newsroom-export.xml").read_bytes()
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Files:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    @contextmanager
    def open(self, bucket: str, key: str, version_id: str | None) -> Iterator[IO[bytes]]:
        yield io.BytesIO(self.objects[key])


class Queues:
    def __init__(self) -> None:
        self.posts: list[str] = []
        self.carry_ons: list[str] = []

    def send(self, messages: list[str]) -> None:
        self.posts += messages

    def carry_on(self, run_id: str) -> None:
        self.carry_ons.append(run_id)


class Newsroom:
    """One coordinator, one worker and the stores they share."""

    def __init__(self, pacing: Pacing) -> None:
        self.runs = InMemoryImportRuns()
        self.files = Files()
        self.queues = Queues()
        self.bucket = InMemoryBucket()
        self.articles = InMemoryArticleStore()
        self.coordinator = Coordinator(
            self.runs, self.files, self.queues, self.queues, self.bucket, clock=lambda: NOW, pacing=pacing
        )
        publisher = Publisher(self.articles, self.bucket, RecordingIndexFeed(), clock=lambda: NOW)
        self.worker = ItemImporter(publisher, self.runs, self.bucket, clock=lambda: NOW)

    def upload(self, key: str, data: bytes) -> None:
        self.files.objects[key] = data
        event = ObjectEvent("articles", key, False, len(data), None, "0A", "2026-12-01T10:00:00Z")
        self.coordinator.start(event, remaining_seconds=lambda: 0.0)
        while self.queues.carry_ons:  # each carry-on is one more invocation
            self.coordinator.resume(self.queues.carry_ons.pop(0), remaining_seconds=lambda: 0.0)

    def work(self) -> None:
        while self.queues.posts:
            self.worker.handle(self.queues.posts.pop(0))

    def report(self, name: str) -> dict[str, object]:
        return dict(self.bucket.reports[f"reports/imports/{name}.json"])


def test_a_short_budget_hands_out_one_checkpoint_per_invocation_and_every_item_once() -> None:
    newsroom = Newsroom(Pacing(checkpoint_items=3, safety_seconds=float("inf")))
    starts: list[int] = []
    resume = newsroom.coordinator.resume

    def counting_resume(run_id: str, remaining_seconds: object) -> None:
        starts.append(newsroom.runs.runs[run_id].next_item)
        resume(run_id, lambda: 0.0)

    newsroom.coordinator.resume = counting_resume  # type: ignore[method-assign]
    newsroom.upload("imports/newsroom.xml", gzip.compress(NEWSROOM))  # gzip told by its content
    posts = [json.loads(message)["item"] for message in newsroom.queues.posts]

    assert starts == [3, 6, 9]  # 12 items, 3 per invocation: each carries on from the checkpoint
    assert posts == sorted(set(posts)) and len(posts) == 7  # every post once, in export order
    newsroom.work()
    report = newsroom.report("newsroom")
    assert report["status"] == "finished"
    assert report["counts"] == {"imported": 6, "updated": 0, "unchanged": 0, "skipped": 5, "rejected": 1}


def test_a_long_post_travels_compressed_and_is_imported() -> None:
    newsroom = Newsroom(Pacing(checkpoint_items=100, safety_seconds=60))
    # Cyrillic: two bytes a character, so more than a message holds yet within what an article may render to.
    long_text = " ".join(f"Грузовики снова пересекут границу у поста {n}." for n in range(3000)).encode()
    newsroom.upload("imports/long.xml", NEWSROOM.replace(b"Trucks will cross again.", long_text))
    (packed,) = [json.loads(m) for m in newsroom.queues.posts if COMPRESSED_POST in json.loads(m)]
    assert packed["item"] == 0 and len(json.dumps(packed)) <= MAX_MESSAGE_BYTES
    newsroom.work()
    report = newsroom.report("long")
    assert report["counts"]["imported"] == 6 and [line["post_id"] for line in report["rejected"]] == [306]
    (stored,) = [a for a in newsroom.articles.articles.values() if a.source_key.endswith("?p=301")]
    assert "у поста 2999." in stored.text  # the whole body, not a cut


def test_a_post_too_big_even_compressed_is_rejected_with_its_sizes() -> None:
    newsroom = Newsroom(Pacing(checkpoint_items=100, safety_seconds=60))
    noise = base64.b64encode(random.Random(5).randbytes(MAX_MESSAGE_BYTES))  # a pasted image: no compression helps
    newsroom.upload("imports/huge.xml", NEWSROOM.replace(b"Trucks will cross again.", noise))
    newsroom.work()
    rejected = newsroom.report("huge")["rejected"]
    assert isinstance(rejected, list)
    big = next(line for line in rejected if line["post_id"] == 301)
    assert "compressed), more than one queue message holds (250,000)" in big["reasons"][0]


@pytest.mark.parametrize(
    ("key", "data", "error"),
    [
        ("imports/notes.txt", NEWSROOM, "named .xml or .xml.gz"),
        ("imports/cut.xml", NEWSROOM[: len(NEWSROOM) // 2], "not well-formed"),
        ("imports/cut.xml.gz", gzip.compress(NEWSROOM, mtime=0)[:500], "cannot be read"),
        ("imports/feed.xml", b"<rss><channel><title>x</title><item/></channel></rss>", "wxr_version"),
        ("imports/empty.xml", NEWSROOM[: NEWSROOM.index(b"\t<item>")] + b"</channel></rss>", "no items"),
        ("imports/html.xml", b"<html><body>hi</body></html>", "not a WordPress export"),
        ("imports/bad.xml.gz", b"\x1f\x8b\x08\x00garbage-that-is-not-deflate", "cannot be read"),
        ("imports/banana.xml", NEWSROOM.replace(b">1.2</wp:wxr_version>", b">banana</wp:wxr_version>"), "banana"),
        ("imports/atom.xml", b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', "<feed> (http"),
        ("imports/empty.xml", b"", "the file is empty"),
    ],
    ids=[
        "not-xml-name",
        "truncated",
        "truncated-gzip",
        "plain-rss",
        "no-items",
        "html",
        "damaged-gzip",
        "bad-version",
        "atom",
        "empty-file",
    ],
)
def test_an_export_that_cannot_be_read_is_refused_whole(key: str, data: bytes, error: str) -> None:
    newsroom = Newsroom(Pacing(checkpoint_items=2, safety_seconds=60))
    newsroom.upload(key, data)
    report = newsroom.bucket.reports[report_key(key)]
    assert report["status"] == "refused" and error in str(report["error"])
    assert newsroom.queues.posts == []


def test_a_progress_report_that_lands_after_the_final_one_is_followed_by_the_final_one() -> None:
    newsroom = Newsroom(Pacing(checkpoint_items=100, safety_seconds=60))
    newsroom.upload("imports/newsroom.xml", NEWSROOM)
    snapshot = next(iter(newsroom.runs.runs.values()))  # a worker's view before the last post
    newsroom.work()
    assert newsroom.report("newsroom")["status"] == "finished"

    later = datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)
    progress(newsroom.runs, newsroom.bucket, replace(snapshot), clock=lambda: later)

    assert newsroom.report("newsroom")["status"] == "finished"
    assert newsroom.runs.runs[snapshot.run_id].status is RunStatus.FINISHED
