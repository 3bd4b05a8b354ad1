"""Each function's role grants exactly what the function calls: every flow of the newsroom runs through
the template-driven stack, and the AWS calls each function made are compared with its role's grants,
action by action and resource by resource (see iam_audit.py). The `deploy` fixture already fails any test
whose functions call something their role does not allow; here, in addition, no grant may go unused."""

from collections import Counter
from collections.abc import Callable, Iterator

import boto3
import pytest

from steppewire import wiring
from steppewire.search.schema import IndexPolicy
from steppewire.wiring import forget_warm_state
from steppewire_local import LocalStack
from steppewire_local.recorded_feeds import RecordedRatesFeeds
from tests.integration import iam_audit
from tests.integration.test_import_flow import BILINGUAL
from tests.integration.test_publishing_flow import (
    bucket,
    queue_messages,
    report,
    s3_notification,
    send,
    story,
    upload,
)


@pytest.fixture
def feeds() -> Iterator[RecordedRatesFeeds]:
    served = RecordedRatesFeeds(live=False)
    yield served
    served.stop()


def test_each_function_is_granted_exactly_what_it_calls(
    deploy: Callable[..., LocalStack], feeds: RecordedRatesFeeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every term large from its first posting: a search reads lean lists (a Query) as in a big archive.
    monkeypatch.setattr(wiring, "index_policy", lambda: IndexPolicy(large_term_postings=1, drop_head_below=1))
    with iam_audit.recording() as calls:
        stack = deploy(dict(feeds.parameter_overrides()))
        feeds.before_start(stack)  # the ingest function backfills the recorded dates
        assert stack.api_request("GET", "/rates").status == 200
        assert stack.api_request("GET", "/rates/KZT/history?from=2026-01-01").status == 200

        upload(stack, "incoming/a.md", story(tags="tenge"))
        upload(stack, "incoming/a.md", story(body="Markets calmed again."))
        upload(stack, "incoming/bad.md", b"no front matter")
        # A fault that is not the file's: raised, so idempotency forgets the attempt; retried, dead-lettered.
        send(stack, s3_notification(stack, "incoming/a.md", "ObjectCreated:Put", "not-hex"))
        assert len(queue_messages(stack, "PublishDLQ")) == 1
        s3 = boto3.client("s3")
        s3.put_object(Bucket=bucket(stack), Key="incoming/gone.md", Body=story("Gone"))
        s3.delete_object(Bucket=bucket(stack), Key="incoming/gone.md")
        stack.drain()  # the upload's event finds the file gone
        # A versioned bucket, as on AWS: S3 names the version, and that version is read.
        s3.put_bucket_versioning(Bucket=bucket(stack), VersioningConfiguration={"Status": "Enabled"})
        version = s3.put_object(Bucket=bucket(stack), Key="incoming/v.md", Body=story("Versioned"))["VersionId"]
        queue_messages(stack, "PublishQueue")
        send(stack, s3_notification(stack, "incoming/v.md", "ObjectCreated:Put", "0A", version_id=version))
        assert report(stack, "incoming/v.md")["status"] == "published"
        # Suspended, for moto sends no event for a delete while versioning is on.
        s3.put_bucket_versioning(Bucket=bucket(stack), VersioningConfiguration={"Status": "Suspended"})
        s3.delete_object(Bucket=bucket(stack), Key="incoming/a.md")
        stack.drain()

        assert stack.api_request("GET", "/articles?tag=tenge").json()["items"] == []  # a.md was deleted
        assert stack.api_request("GET", "/articles/versioned").json()["title"] == "Versioned"
        assert "<title>Versioned</title>" in stack.api_request("GET", "/feeds/en.rss").body_text  # BatchGetItem
        assert stack.api_request("GET", "/search?q=versioned").json()["total"] == 1
        # The synonyms: the search function found none stored yet (above); an upload is compiled, a delete
        # finds the file gone and brings back the seed.
        upload(stack, "config/synonyms.yaml", b"en:\n  groups: [[IMF, International Monetary Fund]]\n")
        assert report(stack, "config/synonyms.yaml")["status"] == "accepted"
        s3.delete_object(Bucket=bucket(stack), Key="config/synonyms.yaml")
        stack.drain()
        assert report(stack, "config/synonyms.yaml")["status"] == "removed"
        assert stack.invoke("SearchIndexFunction", {"reindex": True})["indexed"] == 1

        # Imports: one carried on from its checkpoints (a short time budget), read by version; a later
        # export that updates a post; one with nothing to import, finished by the coordinator itself.
        coordinator = stack.function("ImportCoordinatorFunction").environment
        coordinator |= {"IMPORT_CHECKPOINT_ITEMS": "2", "IMPORT_SAFETY_SECONDS": "100000"}
        forget_warm_state()  # a changed environment means new containers
        s3.put_bucket_versioning(Bucket=bucket(stack), VersioningConfiguration={"Status": "Enabled"})
        version = s3.put_object(Bucket=bucket(stack), Key="imports/site.xml", Body=BILINGUAL)["VersionId"]
        queue_messages(stack, "ImportQueue")
        notification = s3_notification(stack, "imports/site.xml", "ObjectCreated:Put", "0B", version_id=version)
        boto3.client("sqs").send_message(QueueUrl=stack.physical_id("ImportQueue"), MessageBody=notification)
        stack.drain(max_rounds=40)
        s3.put_bucket_versioning(Bucket=bucket(stack), VersioningConfiguration={"Status": "Suspended"})
        # The template's pacing again: all posts handed out at once, so a worker counts the last one.
        coordinator |= {"IMPORT_CHECKPOINT_ITEMS": "100", "IMPORT_SAFETY_SECONDS": "60"}
        forget_warm_state()
        later = BILINGUAL.replace(b"Tenge steadies &amp;", b"Tenge holds &amp;").replace(b"-21 05:", b"-22 05:")
        later = later.replace(b'nicename="tenge"><![CDATA[tenge]]>', b'nicename="rates"><![CDATA[rates]]>')
        s3.put_object(Bucket=bucket(stack), Key="imports/later.xml", Body=later)
        channel, about_page = (
            BILINGUAL[: BILINGUAL.index(b"\t<item>")],
            BILINGUAL[BILINGUAL.index(b"\t<item>\n\t\t<title><![CDATA[About") :],
        )
        s3.put_object(Bucket=bucket(stack), Key="imports/pages.xml", Body=channel + about_page)
        stack.drain(max_rounds=40)
        assert stack.api_request("GET", "/articles/tenge-steadies").json()["title"] == "Tenge holds & markets calm"
        forget_warm_state()  # a new search container: its directory lists the terms, read lean by a Query
        assert stack.api_request("GET", "/search?q=tenge").json()["total"] >= 1

    per_function = Counter(function for function, _ in calls)
    assert set(per_function) == {spec.function_name for spec in stack.functions.values()}, per_function
    problems = iam_audit.audit(stack, calls, every_grant_used=True)
    assert not problems, "\n".join(problems)
