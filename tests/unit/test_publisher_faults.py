"""A fault of ours while reading a file still answers the editor: a `failed` report, nothing stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from steppewire.articles import publishing
from steppewire.articles.publishing import ObjectEvent, Publisher, Status
from steppewire.articles.store import ArticleStore


class OneFileBucket:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reports: dict[str, Mapping[str, Any]] = {}

    def read(self, bucket: str, key: str, version_id: str | None) -> bytes | None:
        return self.data

    def put_report(self, bucket: str, key: str, document: Mapping[str, Any]) -> None:
        self.reports[key] = document


class NothingStored:
    """A store that has never seen the file; any write would be a bug here."""

    def source_state(self, source_key: str) -> None:
        return None

    def article(self, slug: str) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store must not be written: {name}")


class NoIndex:
    def announce(self, action: str, slug: str, revision: int) -> None:
        raise AssertionError("nothing may be announced")


def test_a_parser_fault_gets_a_failed_report_instead_of_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_parser(data: bytes, filename: str) -> None:
        raise KeyError("a bug the tests have not found yet")

    monkeypatch.setattr(publishing, "parse_article", broken_parser)
    bucket = OneFileBucket(b"---\ntitle: T\ndate: 2026-11-20\n---\nBody\n")
    store: ArticleStore = NothingStored()  # type: ignore[assignment]
    publisher = Publisher(store, bucket, NoIndex(), clock=lambda: datetime(2026, 11, 20, tzinfo=UTC))
    event = ObjectEvent("articles", "incoming/story.md", False, 40, None, "0A", "2026-11-20T10:00:00Z")

    report = publisher.handle(event)

    assert report is not None and report.status is Status.FAILED
    document = bucket.reports["reports/story.md.json"]
    assert document["status"] == "failed"
    assert document["errors"][0]["field"] == "file"
    assert "KeyError" in document["errors"][0]["message"]
