"""The worker runner of `run` mode: a process per function, Timeout enforced, against a real moto server.

The toy template's SlowFunction (Timeout 1 s, MemorySize 128, fed by SlowQueue: visibility 1 s,
maxReceiveCount 2 → SlowDLQ) and PeerFunction share one code directory and differ in service name.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from steppewire_local import LocalStack
from steppewire_local.cli import main, use_local_aws, write_state
from steppewire_local.embedded_aws import start_embedded_aws
from steppewire_local.workers import WorkerRunner

pytestmark = pytest.mark.integration

TOY_TEMPLATE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "stack" / "template.yaml"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = start_embedded_aws("127.0.0.1", 0)  # a free port: never a developer's running stack
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.delenv(name, raising=False)  # restored after the module, for the mock_aws tests
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_DEFAULT_REGION", raising=False)
        patch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
        use_local_aws(f"http://{host}:{port}", "us-east-1")
        yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def stack(endpoint: str, tmp_path: Path) -> Iterator[LocalStack]:
    # A stack name per test: each gets its own queues, so no test sees another's messages.
    stack = LocalStack.create(TOY_TEMPLATE, stack_name=f"w{time.monotonic_ns()}", runner=WorkerRunner(tmp_path))
    stack.deploy()
    yield stack
    stack.stop()


def test_each_function_has_its_own_process_module_state_and_service_name(
    stack: LocalStack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="steppewire_local")
    first = stack.invoke_raw("SlowFunction", {})
    second = stack.invoke("SlowFunction", {})
    peer = stack.invoke("PeerFunction", {})

    assert (first.result["service"], first.result["invocations"]) == ("toy-slow", 1)
    assert (second["service"], second["invocations"], second["pid"]) == ("toy-slow", 2, first.result["pid"])
    assert (peer["service"], peer["invocations"]) == ("toy-peer", 1)  # same module, another process
    assert len({os.getpid(), first.result["pid"], peer["pid"]}) == 3
    assert '"service":"toy-slow"' in (tmp_path / "SlowFunction.log").read_text()
    assert '"service":"toy-peer"' in (tmp_path / "PeerFunction.log").read_text()
    assert first.cold and first.max_memory_mb is not None and 10 < first.max_memory_mb < 1024
    line = next(r.getMessage() for r in caplog.records if first.request_id in r.getMessage())
    assert line.startswith(f"SlowFunction {first.request_id} ok ")
    assert line.endswith(f"{first.max_memory_mb:.0f}/128 MB")


def test_a_handler_past_its_timeout_is_killed_and_the_next_invocation_is_cold(stack: LocalStack) -> None:
    warm = stack.invoke("SlowFunction", {})
    started = time.monotonic()
    timed_out = stack.invoke_raw("SlowFunction", {"sleep": 30})
    elapsed = time.monotonic() - started
    after = stack.invoke_raw("SlowFunction", {})

    assert timed_out.error is not None and timed_out.error["errorType"] == "Sandbox.Timedout"
    assert timed_out.error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert elapsed < 5
    assert after.cold and after.result["invocations"] == 1 and after.result["pid"] != warm["pid"]


def test_a_timed_out_sqs_batch_is_redelivered_after_the_visibility_timeout_then_dead_lettered(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="steppewire_local")
    stack.invoke("SlowFunction", {})  # warm: a cold start must not count against the timeline below
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack.physical_id("SlowQueue"), MessageBody="sleep 30")
    stack.start_background(api_port=None, fire_schedules_on_start=False)

    deadline = time.monotonic() + 20
    dead: list[Any] = []
    while not dead and time.monotonic() < deadline:
        dead = sqs.receive_message(QueueUrl=stack.physical_id("SlowDLQ"), WaitTimeSeconds=1).get("Messages", [])
    stack.stop()

    assert [message["Body"] for message in dead] == ["sleep 30"]
    timeouts = [r for r in caplog.records if " FAILED " in r.getMessage() and "Sandbox.Timedout" in r.getMessage()]
    assert len(timeouts) == 2  # maxReceiveCount 2, each delivery killed at the 1 s Timeout
    # The second delivery waited for the queue's 1 s visibility timeout, counted from the first receive.
    assert timeouts[1].created - timeouts[0].created > 0.8


def test_functions_run_concurrently_but_each_one_invocation_at_a_time(stack: LocalStack) -> None:
    stack.invoke("SlowFunction", {})
    stack.invoke("PeerFunction", {})
    finished: dict[str, float] = {}

    def call(name: str, function_id: str, event: dict[str, Any]) -> None:
        assert stack.invoke_raw(function_id, event).ok
        finished[name] = time.monotonic()

    long = threading.Thread(target=call, args=("long peer", "PeerFunction", {"sleep": 1.5}))
    long.start()
    time.sleep(0.3)
    others = [
        threading.Thread(target=call, args=("slow", "SlowFunction", {})),
        threading.Thread(target=call, args=("second peer", "PeerFunction", {})),
    ]
    for thread in others:
        thread.start()
    for thread in [long, *others]:
        thread.join()

    assert finished["slow"] < finished["long peer"] < finished["second peer"]


def test_a_partial_batch_failure_names_the_cause_of_each_failed_record(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="steppewire_local")
    sqs = boto3.client("sqs")
    queue = stack.physical_id("SlowQueue")
    poison_id = sqs.send_message(QueueUrl=queue, MessageBody="poison")["MessageId"]
    sqs.send_message(QueueUrl=queue, MessageBody="fine")

    stack.drain()

    refused = stack.invoke_raw("SlowFunction", {"Records": [{"messageId": "m-7", "body": "refused"}]})

    lines = [r.getMessage() for r in caplog.records if "partial:" in r.getMessage()]
    assert "partial: 1 of 2 failed" in lines[0]
    assert f"{poison_id}: ValueError: poison pill" in lines[0]  # from Powertools' batch processor
    (refused_line,) = [line for line in lines if refused.request_id in line]
    assert "partial: 1 of 1 failed" in refused_line
    assert "m-7: record refused" in refused_line  # from the function's own ERROR log record


def test_invoke_gives_the_function_the_callers_variables_and_says_what_they_change(
    stack: LocalStack,
    endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`RATES_NBK_URL=… make invoke …` against a stack whose template value is set (the recorded feeds)."""
    write_state(tmp_path / "state.json", stack, endpoint)
    event = tmp_path / "event.json"
    echoed = ("resource", "path", "httpMethod", "queryStringParameters", "multiValueQueryStringParameters", "body")
    request = dict.fromkeys(echoed) | {"stageVariables": None, "isBase64Encoded": False, "headers": {}}
    event.write_text(json.dumps(request | {"pathParameters": {"item_id": "x"}, "requestContext": {"stage": "t"}}))
    monkeypatch.setenv("GREETING", "salem from the command line")  # EchoFunction declares it
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "mine")  # only SlowFunction and PeerFunction declare it

    exit_code = main(["invoke", "EchoFunction", str(event), "--state-dir", str(tmp_path)])

    printed = capsys.readouterr()
    assert exit_code == 0
    assert json.loads(json.loads(printed.out)["body"])["env"]["GREETING"] == "salem from the command line"
    assert "note: GREETING=salem from the command line from your environment replaces the stack's" in printed.err
    assert "note: POWERTOOLS_SERVICE_NAME has no effect: EchoFunction does not declare it" in printed.err
