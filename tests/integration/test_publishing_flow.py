"""Publishing end to end through the template-driven stack: an editor's upload to S3 -> SQS -> publish
function -> articles table and index queue, the verdict written back to the bucket, read through the API."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from steppewire_local import LocalStack

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "tests" / "fixtures" / "articles"


def story(
    title: str = "Tenge steadies after the rate decision", *, date: str = "2026-11-20", body: str = "", **fields: str
) -> bytes:
    lines = ["---", f"title: {title}", f"date: {date}", *(f"{key}: {value}" for key, value in fields.items()), "---"]
    text = body or (
        "The National Bank kept its base rate.\n\n"
        '[caption id="attachment_1" width="800"]<img src="https://example.org/a.jpg" alt="NBK" /> '
        "The bank in Almaty[/caption]\n\nMarkets calmed."
    )
    return ("\n".join(lines) + "\n\n" + text + "\n").encode()


@pytest.fixture
def stack(deploy: Callable[..., LocalStack]) -> LocalStack:
    return deploy()


def bucket(stack: LocalStack) -> str:
    return stack.physical_id("ArticlesBucket")


def upload(stack: LocalStack, key: str, data: bytes) -> None:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key=key, Body=data)
    stack.drain()


def report(stack: LocalStack, key: str) -> dict[str, Any]:
    name = "reports/" + key.removeprefix("incoming/") + ".json"
    return json.loads(boto3.client("s3").get_object(Bucket=bucket(stack), Key=name)["Body"].read())


def queue_messages(stack: LocalStack, queue: str) -> list[str]:
    sqs = boto3.client("sqs")
    bodies = []
    while batch := sqs.receive_message(QueueUrl=stack.physical_id(queue), MaxNumberOfMessages=10).get("Messages"):
        bodies += [message["Body"] for message in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=stack.physical_id(queue), ReceiptHandle=message["ReceiptHandle"])
    return bodies


def stored_articles(stack: LocalStack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.physical_id("ArticlesTable"))["Items"]
    return [item for item in items if item["pk"]["S"].startswith("ARTICLE#")]


def s3_notification(
    stack: LocalStack, key: str, event: str, sequencer: str, size: int = 100, version_id: str | None = None
) -> str:
    """A notification as real S3 sends it (with the sequencer, and for a versioned bucket the version id,
    that moto leaves out)."""
    record: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": "2026-11-26T10:00:00.000Z",
        "eventName": event,
        "s3": {
            "bucket": {"name": bucket(stack), "arn": f"arn:aws:s3:::{bucket(stack)}"},
            "object": {"key": key, "size": size, "eTag": "0" * 32, "sequencer": sequencer},
        },
    }
    if version_id is not None:
        record["s3"]["object"]["versionId"] = version_id
    return json.dumps({"Records": [record]})


def send(stack: LocalStack, *bodies: str) -> None:
    for body in bodies:
        boto3.client("sqs").send_message(QueueUrl=stack.physical_id("PublishQueue"), MessageBody=body)
    stack.drain()


def test_upload_becomes_a_readable_article_without_shortcodes(stack: LocalStack) -> None:
    upload(stack, "incoming/2026/tenge.md", story(tags="economy, tenge", country="Kazakhstan", category="Economy"))

    verdict = report(stack, "incoming/2026/tenge.md")
    assert verdict["status"] == "published"
    assert verdict["url"] == "/articles/tenge-steadies-after-the-rate-decision"
    article = stack.api_request("GET", verdict["url"]).json()
    assert article["title"] == "Tenge steadies after the rate decision"
    assert "<figcaption>The bank in Almaty</figcaption>" in article["body_html"]
    assert "[caption" not in article["body_html"] + article["excerpt"]
    assert article["revision"] == 1 and article["tags"] == ["economy", "tenge"]
    listing = stack.api_request("GET", "/articles").json()
    assert [card["slug"] for card in listing["items"]] == ["tenge-steadies-after-the-rate-decision"]
    # handed on to indexing: the search indexer consumed the message and the article is findable
    found = stack.api_request("GET", "/search?q=tenge").json()
    assert [hit["slug"] for hit in found["results"]] == ["tenge-steadies-after-the-rate-decision"]


def test_russian_title_gets_a_transliterated_slug(stack: LocalStack) -> None:
    upload(stack, "incoming/ru.md", story("Нацбанк Казахстана сохранил ставку", lang="ru"))
    assert report(stack, "incoming/ru.md")["slug"] == "natsbank-kazakhstana-sokhranil-stavku"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (b"", "file", "empty"),
        ((ARTICLES / "ru-cp1251.md").read_bytes(), "file", "windows-1251"),
        ((ARTICLES / "nbk-building.png").read_bytes(), "file", "PNG"),
        (b"Just a story without front matter.\n", "front matter", "front matter"),
        (b"---\ntitle: Broken: yaml: here\ndate: 2026-11-20\n---\nBody\n", "line 2", ""),
        (story(title='""'), "title", "title"),
        (story(date="2025-02-30"), "date", "2025-02-30"),
        (story(lang="kk"), "lang", "kk"),
        (b"---\ntitle: Big\ndate: 2026-11-20\n---\n" + b"word " * 220_000, "file", "limit"),
        (story(date="0001-01-01"), "date", "out of range"),
        (story(date="9999-12-31T23:30:00-10:00"), "date", "out of range"),
        (story(date="1969-12-31T23:59:00+00:00"), "date", "out of range"),  # the index counts minutes from 1970
        (story(date="!!timestamp 2025-02-30"), "line 3", "YAML tags"),
        (b"---\ntitle: T\na: &a [x, x]\nb: &b [*a, *a]\ndate: *b\n---\nBody\n", "line 4", "aliases"),
    ],
)
def test_a_bad_file_gets_a_clear_rejection_and_nothing_is_stored(
    stack: LocalStack, data: bytes, field: str, words: str
) -> None:
    upload(stack, "incoming/bad.md", data)
    verdict = report(stack, "incoming/bad.md")
    assert verdict["status"] == "rejected"
    assert field in [error["field"] for error in verdict["errors"]]
    assert words in json.dumps(verdict["errors"], ensure_ascii=False)
    assert stored_articles(stack) == []
    assert queue_messages(stack, "PublishDLQ") == []  # a file's own fault is never retried


def test_a_slug_taken_by_another_file_is_refused(stack: LocalStack) -> None:
    upload(stack, "incoming/first.md", story(slug="rate-decision"))
    upload(stack, "incoming/second.md", story("Another story", slug="rate-decision"))
    verdict = report(stack, "incoming/second.md")
    assert verdict["status"] == "rejected"
    assert verdict["errors"][0]["field"] == "slug" and "incoming/first.md" in verdict["errors"][0]["message"]
    assert (
        stack.api_request("GET", "/articles/rate-decision").json()["title"] == "Tenge steadies after the rate decision"
    )


def test_reupload_updates_keeps_the_slug_and_identical_bytes_change_nothing(stack: LocalStack) -> None:
    upload(stack, "incoming/a.md", story())
    upload(stack, "incoming/a.md", story("Tenge steadies, analysts say", body="New text about the tenge."))
    verdict = report(stack, "incoming/a.md")
    assert (verdict["status"], verdict["revision"]) == ("updated", 2)
    article = stack.api_request("GET", "/articles/tenge-steadies-after-the-rate-decision").json()
    assert article["title"] == "Tenge steadies, analysts say" and "New text" in article["body_html"]
    before = stored_articles(stack)
    upload(stack, "incoming/a.md", story("Tenge steadies, analysts say", body="New text about the tenge."))
    assert stored_articles(stack) == before


def test_deleting_the_file_unpublishes_the_article(stack: LocalStack) -> None:
    upload(stack, "incoming/a.md", story())
    boto3.client("s3").delete_object(Bucket=bucket(stack), Key="incoming/a.md")
    stack.drain()
    assert report(stack, "incoming/a.md")["status"] == "unpublished"
    assert stack.api_request("GET", "/articles/tenge-steadies-after-the-rate-decision").status == 404
    assert stack.api_request("GET", "/articles").json()["items"] == []
    assert stack.api_request("GET", "/search?q=tenge").json()["total"] == 0


def test_a_file_deleted_before_its_upload_is_handled_is_simply_gone(stack: LocalStack) -> None:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story())
    s3.delete_object(Bucket=bucket(stack), Key="incoming/a.md")
    stack.drain()
    verdict = report(stack, "incoming/a.md")
    assert verdict["status"] == "unpublished" and verdict["notes"] == ["nothing was published from this file"]
    assert stored_articles(stack) == []
    assert queue_messages(stack, "PublishDLQ") == []  # "gone" is an answer, not a fault to retry


def test_an_event_publishes_the_version_it_names_not_a_later_overwrite(stack: LocalStack) -> None:
    s3 = boto3.client("s3")
    # Versioned as on AWS (the local stack leaves versioning off: moto sends no event for a versioned delete).
    s3.put_bucket_versioning(Bucket=bucket(stack), VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story("First words"))["VersionId"]
    s3.put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story("Second words"))
    queue_messages(stack, "PublishQueue")  # moto's notifications carry no version id
    send(stack, s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "0A", version_id=first))
    assert stack.api_request("GET", "/articles/first-words").json()["title"] == "First words"


def test_a_delete_in_the_versioned_bucket_unpublishes(stack: LocalStack) -> None:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story())
    queue_messages(stack, "PublishQueue")
    send(stack, s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "0055AED6DCD90281E5"))
    # What S3 sends for a delete once versioning is on (moto sends nothing, so the local bucket is unversioned).
    send(stack, s3_notification(stack, "incoming/a.md", "ObjectRemoved:DeleteMarkerCreated", "0055AED6DCD90281F0"))
    assert report(stack, "incoming/a.md")["status"] == "unpublished"
    assert stack.api_request("GET", "/articles/tenge-steadies-after-the-rate-decision").status == 404


def test_a_key_as_long_as_s3_allows_still_gets_its_report(stack: LocalStack) -> None:
    key = "incoming/" + "ж" * 505 + "ab.md"  # 1,024 UTF-8 bytes: "reports/...json" would be over S3's limit
    upload(stack, key, story())
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket(stack), Prefix="reports/")["Contents"]
    assert len(listed) == 1 and len(listed[0]["Key"].encode()) <= 1024
    body = boto3.client("s3").get_object(Bucket=bucket(stack), Key=listed[0]["Key"])["Body"].read()
    verdict = json.loads(body)
    assert verdict["status"] == "published" and verdict["source"] == f"s3://{bucket(stack)}/{key}"


def test_duplicate_notifications_change_nothing(stack: LocalStack) -> None:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story())
    queue_messages(stack, "PublishQueue")  # moto's own notification: replaced by two copies of a real one
    notification = s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "0055AED6DCD90281E5")
    send(stack, notification, notification)
    assert report(stack, "incoming/a.md")["revision"] == 1
    assert stack.api_request("GET", "/search?q=tenge").json()["total"] == 1


def test_a_late_older_event_never_overwrites_a_newer_one(stack: LocalStack) -> None:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story(body="Second version."))
    queue_messages(stack, "PublishQueue")
    newer = s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "0055AED6DCD9028200")
    older = s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "55AED6DCD90281FF")  # shorter, still older
    send(stack, newer, older)
    assert report(stack, "incoming/a.md")["revision"] == 1
    # and a put that arrives after the file's deletion does not bring it back
    deleted = s3_notification(stack, "incoming/a.md", "ObjectRemoved:Delete", "0055AED6DCD9028300")
    late_put = s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "0055AED6DCD9028250")
    send(stack, deleted, late_put)
    assert stack.api_request("GET", "/articles/tenge-steadies-after-the-rate-decision").status == 404


def test_a_poison_message_reaches_the_dlq_without_blocking_the_others(stack: LocalStack) -> None:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="incoming/a.md", Body=story())
    send(stack, "this is not an S3 notification")
    assert queue_messages(stack, "PublishDLQ") == ["this is not an S3 notification"]
    assert report(stack, "incoming/a.md")["status"] == "published"


def test_a_future_date_publishes_at_that_time_not_before(stack: LocalStack) -> None:
    upload(stack, "incoming/later.md", story("Budget day", date="2099-01-01T09:00:00+05:00"))
    verdict = report(stack, "incoming/later.md")
    assert verdict["status"] == "published" and "2099-01-01T04:00:00Z" in verdict["notes"][0]
    assert stack.api_request("GET", "/articles/budget-day").status == 404
    assert stack.api_request("GET", "/articles").json()["items"] == []


def test_listing_filters_and_cursor_pagination(stack: LocalStack) -> None:
    for day, lang, tag in [
        ("2026-11-01", "en", "energy"),
        ("2026-11-02", "ru", "energy"),
        ("2026-11-03", "en", "water"),
    ]:
        upload(stack, f"incoming/{day}.md", story(f"Story of {day}", date=day, lang=lang, tags=tag))
    first = stack.api_request("GET", "/articles?limit=2").json()
    assert [c["slug"] for c in first["items"]] == ["story-of-2026-11-03", "story-of-2026-11-02"]
    second = stack.api_request("GET", f"/articles?limit=2&cursor={first['next_cursor']}").json()
    assert [c["slug"] for c in second["items"]] == ["story-of-2026-11-01"] and second["next_cursor"] is None
    energy_en = stack.api_request("GET", "/articles?tag=Energy&lang=en").json()
    assert [c["slug"] for c in energy_en["items"]] == ["story-of-2026-11-01"]
    mixed = stack.api_request("GET", f"/articles?tag=water&cursor={first['next_cursor']}")
    assert mixed.status == 400 and "cursor" in mixed.json()["message"]
    assert stack.api_request("GET", "/articles?limit=500").status == 422


def test_sample_events_drive_the_publish_function_as_sam_local_invoke_would(stack: LocalStack) -> None:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="incoming/story.md", Body=story())
    put_event = json.loads((ROOT / "events" / "publish_s3_put_via_sqs.json").read_text())
    assert stack.invoke("PublishFunction", put_event) == {"batchItemFailures": []}
    assert report(stack, "incoming/story.md")["status"] == "published"
    boto3.client("s3").delete_object(Bucket=bucket(stack), Key="incoming/story.md")
    delete_event = json.loads((ROOT / "events" / "publish_s3_delete_via_sqs.json").read_text())
    assert stack.invoke("PublishFunction", delete_event) == {"batchItemFailures": []}
    assert report(stack, "incoming/story.md")["status"] == "unpublished"
