"""The template-driven local runtime (local/steppewire_local) against a toy SAM template, in-process under moto.

The toy stack (tests/fixtures/stack/template.yaml): a table, a work queue with a DLQ (maxReceiveCount 2)
feeding WorkerFunction, a bucket notifying the queue on incoming/, an API to EchoFunction and two
schedules to TickFunction. One test deploys the real template.yaml.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

import boto3
import pytest

from steppewire_local import LocalStack, next_fire_time
from steppewire_local.cli import parse_parameter_overrides
from steppewire_local.functions import Invocation
from steppewire_local.intrinsics import IntrinsicError, Resolver, pseudo_parameters
from steppewire_local.sqs_source import SqsMapping, failed_message_ids
from steppewire_local.template import TemplateError

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
TOY_TEMPLATE = REPO_ROOT / "tests" / "fixtures" / "stack" / "template.yaml"
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture
def stack(aws: None) -> Iterator[LocalStack]:
    stack = LocalStack.create(TOY_TEMPLATE)
    stack.deploy()
    yield stack
    stack.stop()


def items(stack: LocalStack, pk: str) -> list[dict[str, Any]]:
    table = stack.physical_id("ToyTable")
    found = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return [item for item in found if item["pk"]["S"] == pk]


def queue_bodies(url: str) -> list[str]:
    received = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [message["Body"] for message in received.get("Messages", [])]


# ---------------------------------------------------------------------------- API Gateway
def test_route_with_path_and_query_reaches_the_function(stack: LocalStack) -> None:
    response = stack.api_request("GET", "/items/abc?verbose=true&tag=a&tag=b", headers={"X-Test": "yes"})

    assert response.status == 200
    assert response.header("content-type") == "application/json"
    assert [value for name, value in response.headers if name == "X-Echo"] == ["one", "two"]
    echoed = response.json()
    assert echoed["resource"] == "/items/{item_id}"
    assert echoed["path"] == "/items/abc"
    assert echoed["httpMethod"] == "GET"
    assert echoed["pathParameters"] == {"item_id": "abc"}
    assert echoed["queryStringParameters"] == {"verbose": "true", "tag": "b"}
    assert echoed["multiValueQueryStringParameters"] == {"verbose": ["true"], "tag": ["a", "b"]}
    assert echoed["stage"] == "Prod"
    assert echoed["test_header"] == "yes"
    assert echoed["body"] is None
    assert 0 < echoed["remaining_ms"] <= 5000  # Timeout: 5 from Globals


def test_greedy_path_and_request_bodies(stack: LocalStack) -> None:
    text = stack.api_request("PUT", "/files/reports/2026/q1.csv", body="a,b\n1,2").json()
    binary = stack.api_request("POST", "/files/blob", body=b"\xff\xfe\x00").json()
    no_query = stack.api_request("POST", "/items", body="{}").json()

    assert text["pathParameters"] == {"proxy": "reports/2026/q1.csv"}
    assert (text["httpMethod"], text["body"], text["isBase64Encoded"]) == ("PUT", "a,b\n1,2", False)
    assert (binary["body"], binary["isBase64Encoded"]) == ("//4A", True)
    assert no_query["pathParameters"] is None
    assert no_query["queryStringParameters"] is None


def test_unknown_route_or_method_is_403_and_a_crash_is_502(stack: LocalStack) -> None:
    for method, path in (("GET", "/nope"), ("DELETE", "/items/abc"), ("GET", "/files")):
        response = stack.api_request(method, path)
        assert (response.status, response.json()) == (403, {"message": "Missing Authentication Token"})

    crashed = stack.api_request("GET", "/items/crash")
    assert (crashed.status, crashed.json()) == (502, {"message": "Internal server error"})


def test_invoke_reports_errors_like_lambda_and_restores_the_environment(stack: LocalStack) -> None:
    error = stack.invoke("EchoFunction", {"pathParameters": {"item_id": "crash"}})

    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "asked to crash"
    assert any("echo/app.py" in line for line in error["stackTrace"])
    assert not stack.invoke_raw("EchoFunction", {"pathParameters": {"item_id": "crash"}}).ok
    assert "TABLE_NAME" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ
    with pytest.raises(KeyError, match="unknown function 'Nope'"):
        stack.invoke("Nope", {})


# ---------------------------------------------------------------------------- wiring from the template
def test_environment_variables_are_resolved_from_the_template(stack: LocalStack) -> None:
    env = stack.api_request("GET", "/items/x").json()["env"]

    assert env == {
        "TABLE_NAME": stack.physical_id("ToyTable"),  # Globals: !Ref ToyTable
        "GREETING": "hello from us-east-1",
        "QUEUE_URL": stack.physical_id("WorkQueue"),
        "DLQ_NAME": "steppewire-local-WorkDLQ",
        "BUCKET_ARN": "arn:aws:s3:::steppewire-local-uploadbucket",
        "VOLUME": "quiet",
        "SECOND_COLOUR": "green",
        "JOINED": "a+b+c",
        "LITERAL": "${NotAVariable}",
        "WITH_VARS": f"{stack.physical_id('WorkDLQ')}@steppewire-local",
        "AWS_LAMBDA_FUNCTION_NAME": "steppewire-local-EchoFunction",
        "AWS_REGION": "us-east-1",
    }
    assert stack.physical_id("ToyTable") == "steppewire-local-ToyTable"


def test_parameter_overrides_drive_conditions(aws: None) -> None:
    loud = LocalStack.create(TOY_TEMPLATE, {"Greeting": "HELLO", "Colours": "cyan, magenta"}, stack_name="loud")
    loud.deploy()

    env = loud.api_request("GET", "/items/x").json()["env"]
    assert (env["GREETING"], env["VOLUME"], env["SECOND_COLOUR"]) == ("HELLO from us-east-1", "loud", "magenta")
    assert loud.physical_id("LoudTopic") == "arn:aws:sns:us-east-1:123456789012:loud-LoudTopic"

    quiet = LocalStack.create(TOY_TEMPLATE)
    quiet.deploy()
    with pytest.raises(IntrinsicError, match="Condition is false"):
        quiet.physical_id("LoudTopic")
    with pytest.raises(TemplateError, match="not one of"):
        LocalStack.create(TOY_TEMPLATE, {"Greeting": "hi"})
    with pytest.raises(TemplateError, match="unknown parameter"):
        LocalStack.create(TOY_TEMPLATE, {"Nope": "x"})


def test_resources_are_created_as_declared(stack: LocalStack) -> None:
    table = boto3.client("dynamodb").describe_table(TableName=stack.physical_id("ToyTable"))["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["by-kind"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.physical_id("WorkQueue"), AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": stack.resource("WorkDLQ").attributes["Arn"], "maxReceiveCount": 2}
    assert attributes["Attributes"]["VisibilityTimeout"] == "30"

    s3 = boto3.client("s3")
    bucket = stack.physical_id("UploadBucket")
    # Versioned in the template, but it notifies a queue: unversioned here, so deletes still send an event.
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    assert any(w.startswith("UploadBucket: versioning is not applied") for w in stack.warnings)
    assert queue_bodies(stack.physical_id("WorkQueue")) == []  # moto's s3:TestEvent was purged


class _Lookup:
    def ref(self, logical_id: str) -> str:
        return f"physical-{logical_id}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        return f"{attribute}-of-{logical_id}"


def test_intrinsics_resolver_covers_conditions_mappings_and_no_value() -> None:
    resolver = Resolver(
        parameters={"Env": "prod", "Zones": ["a", "b"]},
        pseudo=pseudo_parameters("demo", "eu-west-1"),
        resources=_Lookup(),
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Not": [{"Fn::Equals": ["x", "y"]}]}]},
            "Either": {"Fn::Or": [{"Fn::Equals": ["1", 1]}, {"Condition": "IsProd"}]},
        },
        mappings={"Sizes": {"prod": {"Memory": 1024}}},
    )

    assert resolver.condition("Both") and resolver.condition("Either")
    assert resolver.resolve(
        {
            "Memory": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]},
            "Tags": [{"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "dev"]}, "kept"],
            "Dropped": {"Ref": "AWS::NoValue"},
            "Url": {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Queue.Arn}"},
            "Zone": {"Fn::Select": ["1", {"Ref": "Zones"}]},
        }
    ) == {
        "Memory": 1024,
        "Tags": ["kept"],
        "Url": "https://physical-Api.execute-api.eu-west-1.amazonaws.com/Arn-of-Queue",
        "Zone": "b",
    }
    with pytest.raises(IntrinsicError, match="Fn::ImportValue is not supported"):
        resolver.resolve({"Fn::ImportValue": "shared-vpc"})


# ---------------------------------------------------------------------------- event sources
def test_s3_upload_lands_in_the_function_as_an_s3_event(stack: LocalStack) -> None:
    s3 = boto3.client("s3")
    bucket = stack.physical_id("UploadBucket")
    s3.put_object(Bucket=bucket, Key="incoming/report 1.csv", Body=b"a,b\n")
    s3.put_object(Bucket=bucket, Key="elsewhere/ignored.csv", Body=b"x")

    assert stack.drain() == 1

    (stored,) = items(stack, "message")
    (record,) = json.loads(stored["body"]["S"])["Records"]
    assert stored["source"]["S"] == "aws:sqs"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == "incoming/report 1.csv"


def test_poison_record_goes_to_the_dlq_while_good_records_are_processed(stack: LocalStack) -> None:
    sqs = boto3.client("sqs")
    queue = stack.physical_id("WorkQueue")
    for body in ("good one", "poison pill", "good two"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)

    stack.drain()

    assert sorted(item["body"]["S"] for item in items(stack, "message")) == ["good one", "good two"]
    assert queue_bodies(stack.physical_id("WorkDLQ")) == ["poison pill"]
    counts = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


@pytest.mark.parametrize(
    ("ok", "result", "failed"),
    [
        (True, {"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        (True, {"batchItemFailures": []}, set()),
        (True, None, set()),
        (True, {"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),  # unknown id: batch fails
        (True, {"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        (True, "not an object", {"a", "b"}),
        (False, None, {"a", "b"}),  # the handler raised
    ],
)
def test_partial_batch_responses_follow_lambda_rules(ok: bool, result: Any, failed: set[str]) -> None:
    mapping = SqsMapping("M", "F", "Q", "url", "arn", 10, True, True)
    error = None if ok else {"errorMessage": "x", "errorType": "E", "stackTrace": []}
    invocation = Invocation("F", "req", result, error, 1.0)

    assert failed_message_ids(invocation, ["a", "b"], mapping) == failed


# ---------------------------------------------------------------------------- schedules
def test_schedules_fire_with_their_input(stack: LocalStack) -> None:
    stack.fire_schedule("TickFunctionMorning")
    stack.fire_schedule("TickFunctionHourly")
    stack.fire_schedule("TickFunctionMorning", input_override={"manual": True})

    events = [json.loads(item["event"]["S"]) for item in items(stack, "tick")]
    assert {"source": "toy-schedule"} in events  # the ScheduleV2 Input
    assert {"manual": True} in events
    scheduled = next(event for event in events if "detail-type" in event)  # Schedule (v1) without Input
    assert (scheduled["detail-type"], scheduled["source"]) == ("Scheduled Event", "aws.events")
    with pytest.raises(KeyError, match="several schedules match"):
        stack.fire_schedule("TickFunction")


def test_next_fire_time_for_aws_cron_in_almaty() -> None:
    expression = "cron(5 8-18 * * ? *)"

    assert next_fire_time(expression, "Asia/Almaty", datetime(2026, 11, 26, 10, 5, tzinfo=ALMATY)) == datetime(
        2026, 11, 26, 11, 5, tzinfo=ALMATY
    )
    # 14:00 UTC is 19:00 in Almaty (UTC+5): the next run is tomorrow 08:05 local time.
    after = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert next_fire_time(expression, "Asia/Almaty", after) == datetime(2026, 11, 27, 8, 5, tzinfo=ALMATY)


def test_next_fire_time_for_rates_weekdays_and_years() -> None:
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    assert next_fire_time("rate(1 hour)", "UTC", friday) == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    assert next_fire_time("rate(15 minutes)", "UTC", friday) == datetime(2026, 11, 27, 12, 15, tzinfo=UTC)
    assert next_fire_time("cron(0 10 ? * MON-FRI *)", "UTC", friday) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    # AWS numbers weekdays 1-7 from Sunday: 2 is Monday, 6 is Friday.
    assert next_fire_time("cron(0 10 ? * 2 *)", "UTC", friday) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert next_fire_time("cron(0 13 ? * 6 *)", "UTC", friday) == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    assert next_fire_time("cron(0 0 1 1 ? 2030)", "UTC", friday) == datetime(2030, 1, 1, tzinfo=UTC)
    assert next_fire_time("cron(0 0 1 1 ? 2020-2025)", "UTC", friday) is None
    for invalid in ("rate(1 hours)", "rate(5 minute)", "cron(0 10 * * *)", "cron(0 10 * * MON *)", "every day"):
        with pytest.raises(ValueError):
            next_fire_time(invalid, "UTC", friday)


# ---------------------------------------------------------------------------- run mode pieces
def test_background_mode_serves_http_fires_schedules_and_polls_queues(stack: LocalStack) -> None:
    stack.start_background(api_port=0)
    try:
        assert stack.api_url is not None
        with urllib.request.urlopen(f"{stack.api_url}/items/abc?x=1") as response:
            assert response.status == 200
            assert response.headers.get_all("X-Echo") == ["one", "two"]
            assert json.loads(response.read())["pathParameters"] == {"item_id": "abc"}
        for method in ("TRACE", "BREW"):  # no route takes them: API Gateway's JSON 403, not a server error page
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(f"{stack.api_url}/items/abc", method=method))
            assert refused.value.code == 403
            assert json.loads(refused.value.read()) == {"message": "Missing Authentication Token"}
        boto3.client("sqs").send_message(QueueUrl=stack.physical_id("WorkQueue"), MessageBody="via poller")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (items(stack, "message") and len(items(stack, "tick")) == 2):
            time.sleep(0.1)
    finally:
        stack.stop()

    assert [item["body"]["S"] for item in items(stack, "message")] == ["via poller"]
    assert len(items(stack, "tick")) == 2  # both schedules fired once at start


def test_parameter_overrides_parse_like_sam() -> None:
    assert parse_parameter_overrides(["Stage=test", "Url=http://x/?a=b", "ParameterKey=K,ParameterValue=v"]) == {
        "Stage": "test",
        "Url": "http://x/?a=b",
        "K": "v",
    }


# ---------------------------------------------------------------------------- the real template
def test_real_template_deploys_rates_table_and_api_routes(aws: None) -> None:
    stack = LocalStack.create(REPO_ROOT / "template.yaml", {"Stage": "test"})
    stack.deploy()

    table = boto3.client("dynamodb").describe_table(TableName=stack.physical_id("RatesTable"))["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    api_routes = {(r.method, r.resource) for r in stack.routes if r.function_id == "RatesApiFunction"}
    paths = {"/rates", "/rates/{currency}/history", "/rates/convert", "/rates/sources", "/currencies", "/openapi.json"}
    assert api_routes == {(method, path) for method in ("GET", "HEAD") for path in paths}
    assert {r.stage for r in stack.routes} == {"test"}
    (schedule,) = stack.schedules
    assert (schedule.function_id, schedule.expression, schedule.timezone, schedule.input) == (
        "RatesIngestFunction",
        "cron(5 8-18 * * ? *)",
        "Asia/Almaty",
        {},
    )
    ingest = stack.function("RatesIngestFunction")
    assert ingest.module == "functions.rates_ingest.app"
    assert ingest.environment["RATES_TABLE_NAME"] == stack.physical_id("RatesTable")
    assert ingest.layer_paths == [str(REPO_ROOT / "shared")]  # the SharedLayer, as /opt/python in Lambda
    assert (ingest.timeout_s, ingest.memory_mb) == (60, 512)
