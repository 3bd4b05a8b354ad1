"""Importing WordPress exports end to end through the template-driven stack: an export uploaded under
imports/ -> the coordinator -> one message per post -> the workers -> articles, the bulk index queue, the
search index; and the import's report under reports/imports/."""

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from steppewire.articles.aws_adapters import S3ObjectStorage
from steppewire.articles.publishing import object_events
from steppewire.imports.aws_adapters import S3ExportFiles, SqsPostQueue, SqsRunQueue
from steppewire.imports.run_store import DynamoImportRuns
from steppewire.imports.service import Coordinator, Pacing
from steppewire.wiring import utc_now
from steppewire_local import LocalStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"
BILINGUAL = (FIXTURES / "bilingual-export.xml").read_bytes()
NEWSROOM = (FIXTURES / "newsroom-export.xml").read_bytes()


@pytest.fixture
def stack(deploy: Callable[..., LocalStack]) -> LocalStack:
    return deploy()


def bucket(stack: LocalStack) -> str:
    return stack.physical_id("ArticlesBucket")


def import_export(stack: LocalStack, name: str, data: bytes) -> dict[str, Any]:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket(stack), Key=f"imports/{name}", Body=data)
    stack.drain(max_rounds=30)
    report_name = "reports/imports/" + name.removesuffix(".gz").removesuffix(".xml") + ".json"
    return json.loads(s3.get_object(Bucket=bucket(stack), Key=report_name)["Body"].read())


def article(stack: LocalStack, slug: str) -> tuple[int, dict[str, Any]]:
    answer = stack.api_request("GET", f"/articles/{slug}")
    return answer.status, answer.json()


def articles_in_table(stack: LocalStack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.physical_id("ArticlesTable"))["Items"]
    return [item for item in items if item["pk"]["S"].startswith("ARTICLE#")]


def test_an_export_becomes_articles_with_a_report(stack: LocalStack) -> None:
    report = import_export(stack, "site.xml", BILINGUAL)

    assert report["status"] == "finished"
    assert report["items"] == {
        "total": 5,
        "done": 5,
        "by_type_and_status": {"attachment/inherit": 1, "page/publish": 1, "post/draft": 1, "post/publish": 2},
    }
    assert report["counts"] == {"imported": 3, "updated": 0, "unchanged": 0, "skipped": 2, "rejected": 0}
    assert report["rejected"] == []
    status, english = article(stack, "tenge-steadies")
    assert status == 200
    assert english["title"] == "Tenge steadies & markets calm"  # entities decoded
    assert english["author"] == "Aigerim Sultanova"  # dc:creator's display name
    assert english["category"] == "Economy"  # Yoast's primary category, by name
    assert english["published_at"] == "2025-03-20T09:30:00Z"  # post_date_gmt, not pubDate
    assert english["image"] == "https://news.example.kz/wp-content/uploads/2025/03/nbk.jpg"
    assert english["image_alt"] == "The National Bank in Almaty"
    assert english["summary"] == "The rate held."
    body = english["body_html"]
    assert "<p>The National Bank kept its rate.</p>" in body  # classic text paragraphed
    assert "code ]]&gt; stays" in body  # the CDATA split rejoined
    assert "<figcaption>The bank</figcaption>" in body and "[caption" not in body
    status, russian = article(stack, "tenge")  # the percent-encoded Cyrillic post_name, transliterated
    assert status == 200 and russian["lang"] == "ru"
    assert "wp:paragraph" not in russian["body_html"]
    found = stack.api_request("GET", "/search?q=markets").json()
    assert [hit["slug"] for hit in found["results"]] == ["tenge-steadies"]
    # The draft is stored, noted as hidden, and nowhere public.
    assert [note["post_id"] for note in report["notes"]] == [103]
    assert "hidden" in report["notes"][0]["reasons"][0]
    assert article(stack, "draft-border-crossing")[0] == 404
    assert "draft-border-crossing" in {item["slug"]["S"] for item in articles_in_table(stack)}
    assert stack.api_request("GET", "/search?q=written").json()["total"] == 0
    listed = {card["slug"] for card in stack.api_request("GET", "/articles").json()["items"]}
    assert listed == {"tenge-steadies", "tenge"}


def test_translations_link_both_ways_and_old_links_redirect(stack: LocalStack) -> None:
    import_export(stack, "site.xml", BILINGUAL)

    english, russian = article(stack, "tenge-steadies")[1], article(stack, "tenge")[1]

    assert english["translations"] == [{"lang": "ru", "slug": "tenge", "url": "/articles/tenge"}]
    assert russian["translations"] == [{"lang": "en", "slug": "tenge-steadies", "url": "/articles/tenge-steadies"}]
    for old in ("/2025/03/20/tenge-steadies/", "https://news.example.kz/2025/03/20/tenge-steadies/", "/?p=101"):
        answer = stack.api_request("GET", f"/redirects?path={quote(old)}")
        assert (answer.status, answer.json()) == (200, {"slug": "tenge-steadies", "url": "/articles/tenge-steadies"})
    cyrillic = stack.api_request("GET", "/redirects?path=" + quote("/ru/2025/03/20/тенге/"))
    assert (cyrillic.status, cyrillic.json()["slug"]) == (200, "tenge")
    assert stack.api_request("GET", "/redirects?path=/%3Fp%3D103").status == 404  # the draft is not public


def test_importing_the_same_export_again_changes_nothing(stack: LocalStack) -> None:
    import_export(stack, "site.xml", BILINGUAL)
    before = {item["pk"]["S"]: item for item in articles_in_table(stack)}

    again = import_export(stack, "site.xml", BILINGUAL)

    assert again["counts"] == {"imported": 0, "updated": 0, "unchanged": 3, "skipped": 2, "rejected": 0}
    after = {item["pk"]["S"]: item for item in articles_in_table(stack)}
    assert after == before  # revisions stay 1, nothing rewritten
    assert {item["revision"]["N"] for item in after.values()} == {"1"}


def test_a_later_export_updates_only_what_changed(stack: LocalStack) -> None:
    import_export(stack, "site.xml", BILINGUAL)
    later = BILINGUAL.replace(b"Tenge steadies &amp; markets calm", b"Tenge steadies, markets calm").replace(
        b"2025-03-21 05:00:00", b"2025-03-22 05:00:00"
    )

    report = import_export(stack, "site-later.xml.gz", gzip.compress(later))

    assert report["counts"] == {"imported": 0, "updated": 1, "unchanged": 2, "skipped": 2, "rejected": 0}
    status, english = article(stack, "tenge-steadies")
    assert status == 200 and english["title"] == "Tenge steadies, markets calm" and english["revision"] == 2


def test_statuses_dates_slugs_and_rejections_follow_the_mapping(stack: LocalStack) -> None:
    import_export(stack, "site.xml", BILINGUAL)

    report = import_export(stack, "newsroom.xml", NEWSROOM)

    assert report["status"] == "finished" and report["items"]["total"] == 12
    # trash, auto-draft, page, nav_menu_item, revision: skipped and counted by type
    assert report["counts"]["skipped"] == 5
    rejected = {line["post_id"]: line["reasons"] for line in report["rejected"]}
    assert list(rejected) == [306]  # a body with nothing left once its embed is removed
    assert "body" in rejected[306][0]
    notes = {line["post_id"]: " ".join(line["reasons"]) for line in report["notes"]}
    assert "'tenge-steadies' is used by" in notes[304] and "'tenge-steadies-2'" in notes[304]
    assert "first 20" in notes[304] and "[gallery] removed" in notes[304]
    assert "[embed] removed" in " ".join(rejected[306])  # the editor learns why the body came out empty
    assert "no title" in notes[305]
    assert "password protected" in notes[302] and "pending" in notes[307] and "private" in notes[308]
    stored = {item["slug"]["S"]: item for item in articles_in_table(stack)}
    scheduled = stored["border-reopens"]
    assert scheduled["published_at"]["S"] == "2027-06-01T04:00:00Z"  # scheduled at its date
    assert article(stack, "border-reopens")[0] == 404  # ... and not visible before it
    assert scheduled["category"]["S"] == "Politics"  # WordPress's "Uncategorized" is no category
    status, collided = article(stack, "tenge-steadies-2")
    assert status == 200 and len(collided["tags"]) == 20
    status, untitled = article(stack, "gas-prices")
    assert untitled["title"].startswith("Gas prices rose in Bishkek")
    assert stored["pending-review"]["published_at"]["S"] == "2026-11-30T05:15:00Z"  # post_date in Almaty time


def test_a_broken_export_is_refused_whole_with_its_line_and_column(stack: LocalStack) -> None:
    broken = BILINGUAL.replace(b"</wp:post_id>\n\t\t<wp:post_date><![CDATA[2025-03-20 14:45:00]]>", b"<wp:post_date>")

    report = import_export(stack, "broken.xml", broken)

    assert report["status"] == "refused"
    assert "not well-formed" in report["error"] and "line" in report["error"] and "column" in report["error"]
    assert articles_in_table(stack) == []  # not even the posts before the fault


def test_an_export_with_entities_is_refused(stack: LocalStack) -> None:
    bomb = BILINGUAL.replace(
        b"<rss version", b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<rss version', 1
    )
    report = import_export(stack, "bomb.xml", bomb)
    assert report["status"] == "refused" and "DTD" in report["error"]
    doctype_line = bomb[: bomb.index(b"<!DOCTYPE")].count(b"\n") + 1
    assert f"(line {doctype_line}, column " in report["error"]  # where the editor finds it
    assert articles_in_table(stack) == []


def coordinator_of(stack: LocalStack, pacing: Pacing) -> Coordinator:
    """The coordinator on the stack's resources, as the function builds it, with its own pacing."""
    sqs = boto3.client("sqs")
    return Coordinator(
        runs=DynamoImportRuns(boto3.client("dynamodb"), stack.physical_id("ArticlesTable")),
        files=S3ExportFiles(boto3.client("s3")),
        posts=SqsPostQueue(sqs, stack.physical_id("ImportPostQueue")),
        again=SqsRunQueue(sqs, stack.physical_id("ImportQueue")),
        reports=S3ObjectStorage(boto3.client("s3")),
        clock=utc_now,
        pacing=pacing,
    )


def run_coordinator(stack: LocalStack, coordinator: Coordinator, remaining_seconds: Callable[[], float]) -> int:
    """Handle the import queue's messages one at a time, as its BatchSize 1 mapping does; returns how many."""
    sqs = boto3.client("sqs")
    queue = stack.physical_id("ImportQueue")
    handled = 0
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1).get("Messages"):
        body = messages[0]["Body"]
        if "carry_on" in json.loads(body):
            coordinator.resume(json.loads(body)["carry_on"], remaining_seconds)
        else:
            for event in object_events(body):
                coordinator.start(event, remaining_seconds)
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
        handled += 1
    return handled


def finished_report(stack: LocalStack, name: str) -> dict[str, Any]:
    document = boto3.client("s3").get_object(Bucket=bucket(stack), Key=f"reports/imports/{name}.json")
    return json.loads(document["Body"].read())


def test_an_import_carries_on_across_invocations_from_its_checkpoint(stack: LocalStack) -> None:
    """A coordinator whose time is always short: one checkpoint of 2 items per invocation, then it asks
    for another invocation, which carries on from the checkpoint."""
    coordinator = coordinator_of(stack, Pacing(checkpoint_items=2, safety_seconds=float("inf")))
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="imports/newsroom.xml", Body=NEWSROOM)

    invocations = run_coordinator(stack, coordinator, remaining_seconds=lambda: 0.0)
    stack.drain(max_rounds=30)

    assert invocations == 6  # 12 items, 2 per invocation
    report = finished_report(stack, "newsroom")
    assert report["status"] == "finished" and report["items"]["done"] == 12
    assert report["counts"] == {"imported": 6, "updated": 0, "unchanged": 0, "skipped": 5, "rejected": 1}


def test_a_post_delivered_twice_is_counted_once(stack: LocalStack) -> None:
    coordinator = coordinator_of(stack, Pacing(checkpoint_items=100, safety_seconds=60))
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="imports/site.xml", Body=BILINGUAL)
    run_coordinator(stack, coordinator, remaining_seconds=lambda: 900.0)
    sqs = boto3.client("sqs")
    posts = stack.physical_id("ImportPostQueue")
    received = sqs.receive_message(QueueUrl=posts, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 3
    for message in received:  # at-least-once delivery: every post arrives twice
        sqs.send_message(QueueUrl=posts, MessageBody=message["Body"])
        sqs.change_message_visibility(QueueUrl=posts, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)

    stack.drain(max_rounds=30)

    report = finished_report(stack, "site")
    assert report["counts"] == {"imported": 3, "updated": 0, "unchanged": 0, "skipped": 2, "rejected": 0}
    assert {item["revision"]["N"] for item in articles_in_table(stack)} == {"1"}


def test_imported_posts_are_indexed_apart_from_editors_uploads(stack: LocalStack) -> None:
    """Two queues, each polled on its own: an editor's change never waits behind an archive's."""
    index_sources = {mapping.queue_id for mapping in stack.sqs_mappings if mapping.function_id == "SearchIndexFunction"}
    assert index_sources == {"IndexQueue", "BulkIndexQueue"}
    assert stack.function("ImportWorkerFunction").environment["BULK_INDEX_QUEUE_URL"] == stack.physical_id(
        "BulkIndexQueue"
    )
    assert stack.function("PublishFunction").environment["INDEX_QUEUE_URL"] == stack.physical_id("IndexQueue")


def test_a_final_report_that_failed_once_is_written_when_the_post_comes_back(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last post is counted, then writing the final report fails (S3 throttles): SQS delivers the
    post again, which is not counted twice but finishes the import."""
    real_put = S3ObjectStorage.put_report
    failures: list[str] = []

    def put_report(self: S3ObjectStorage, bucket_name: str, key: str, document: dict[str, Any]) -> None:
        if document.get("status") == "finished" and not failures:
            failures.append(key)
            raise RuntimeError("SlowDown")
        real_put(self, bucket_name, key, document)

    monkeypatch.setattr(S3ObjectStorage, "put_report", put_report)

    report = import_export(stack, "site.xml", BILINGUAL)

    assert failures == ["reports/imports/site.json"]
    assert report["status"] == "finished"
    assert report["counts"] == {"imported": 3, "updated": 0, "unchanged": 0, "skipped": 2, "rejected": 0}
