"""Editors' synonyms end to end through the template-driven stack: config/synonyms.yaml uploaded to the articles
bucket -> publish queue -> publish function -> a report beside it and, when the file is valid, the compiled table
that the search function reads."""

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import boto3
import pytest

from steppewire.search.synonym_store import COMPILED_SYNONYMS_KEY, SYNONYMS_KEY, S3SynonymStore
from steppewire.search.synonyms import BUILT_IN, SynonymSource, SynonymTable, seed
from steppewire_local import LocalStack

VALID = """\
# The newsroom's own synonyms
all:
  groups:
    - [Казахтелеком, Kazakhtelecom, KZTK]
ru:
  one_way:
    - "КТЖ -> Қазақстан темір жолы"
""".encode()


@pytest.fixture
def stack(deploy: Callable[..., LocalStack]) -> LocalStack:
    return deploy()


def bucket(stack: LocalStack) -> str:
    return stack.physical_id("ArticlesBucket")


def upload(stack: LocalStack, data: bytes) -> dict[str, Any]:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key=SYNONYMS_KEY, Body=data)
    stack.drain()
    return report(stack)


def report(stack: LocalStack) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=bucket(stack), Key=f"reports/{SYNONYMS_KEY}.json")["Body"]
    result: dict[str, Any] = json.loads(body.read())
    return result


def in_force(stack: LocalStack) -> SynonymTable:
    """The table a search container reads, as it would on its next minute."""
    return SynonymSource(partial(S3SynonymStore(boto3.client("s3")).read, bucket(stack)), ttl=0).current()


def test_an_upload_is_checked_reported_and_used_and_a_delete_brings_the_seed_back(stack: LocalStack) -> None:
    assert in_force(stack).etag == seed().etag  # nothing uploaded yet

    accepted = upload(stack, VALID)
    assert accepted["status"] == "accepted"
    assert accepted["source"] == f"s3://{bucket(stack)}/{SYNONYMS_KEY}"
    assert accepted["synonyms"]["groups"] == 1 and accepted["synonyms"]["one_way"] == 1
    source = SynonymSource(partial(S3SynonymStore(boto3.client("s3")).read, bucket(stack)), ttl=0)
    table = source.current()
    assert table.etag == accepted["synonyms"]["version"]
    assert source.current() is table  # re-read conditionally: S3 answered 304, nothing was parsed again
    assert [e.alternatives for e in table.expansions(["kazakhtelecom"], "en")] == [(("казахтелек",), ("kztk",))]

    rejected = upload(stack, VALID + b"  groups:\n    - [KEGOC]\n")  # under ru:, a group of one
    assert rejected["status"] == "rejected"
    assert rejected["errors"] == [{"field": "ru.groups[0] (line 9)", "message": "a group needs at least two entries"}]
    assert rejected["notes"] == ["nothing of this file is used: the synonyms in force stay as they were"]
    assert in_force(stack).etag == accepted["synonyms"]["version"]  # the last good table stays

    boto3.client("s3").delete_object(Bucket=bucket(stack), Key=SYNONYMS_KEY)
    stack.drain()
    removed = report(stack)
    assert removed["status"] == "removed"
    assert removed["synonyms"]["version"] == seed().etag
    assert in_force(stack).etag == seed().etag
    stored = boto3.client("s3").get_object(Bucket=bucket(stack), Key=COMPILED_SYNONYMS_KEY)["Body"].read()
    assert SynonymTable.from_json(stored).source == BUILT_IN  # the seed of the running code, not a copy


def test_other_files_under_config_get_a_report_saying_they_are_not_used(stack: LocalStack) -> None:
    boto3.client("s3").put_object(Bucket=bucket(stack), Key="config/synonyms.yml", Body=VALID)
    stack.drain()
    body = boto3.client("s3").get_object(Bucket=bucket(stack), Key="reports/config/synonyms.yml.json")["Body"]
    assert json.loads(body.read())["errors"] == [
        {"field": "file", "message": "only config/synonyms.yaml is read from config/; this file is not used"}
    ]
    assert in_force(stack).etag == seed().etag


def test_search_keeps_answering_with_synonyms_in_force(stack: LocalStack) -> None:
    upload(stack, VALID)
    response = stack.api_request("GET", "/search?q=kztk")
    assert response.status == 200, response.body_text
