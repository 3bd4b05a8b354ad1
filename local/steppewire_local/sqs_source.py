"""SQS event source mappings: poll a queue, invoke the function with Lambda's SQS event, delete on success.

Failure semantics follow Lambda: an exception (or, with ReportBatchItemFailures, an invalid response)
fails the whole batch and nothing is deleted; the messages come back after the queue's visibility
timeout and the queue's own RedrivePolicy moves them to the DLQ (moto implements the redrive).
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3

from .functions import Invocation, Invoke
from .intrinsics import Resolver
from .resources import QUEUE, ResourceRegistry

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger("steppewire_local")

EVENT_SOURCE_MAPPING: Final = "AWS::Lambda::EventSourceMapping"
POLL_WAIT_SECONDS: Final = 1


@dataclass(frozen=True)
class SqsMapping:
    logical_id: str
    function_id: str
    queue_id: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool


def mappings_from_template(
    resources: Mapping[str, dict[str, Any]],
    resolver: Resolver,
    registry: ResourceRegistry,
    functions: Mapping[str, str],
) -> tuple[list[SqsMapping], list[str]]:
    """SQS mappings to local functions; `functions` maps function name and ARN → logical id."""
    mappings: list[SqsMapping] = []
    warnings: list[str] = []
    for logical_id, resource in resources.items():
        if resource["Type"] != EVENT_SOURCE_MAPPING:
            continue
        props = resource.get("Properties", {})
        source_arn = resolver.resolve_str(props.get("EventSourceArn", ""), f"{logical_id} EventSourceArn")
        queue = registry.by_arn(source_arn)
        if queue is None or queue.type != QUEUE:
            warnings.append(f"{logical_id}: event source {source_arn or '(none)'} is not emulated (SQS only)")
            continue
        target = resolver.resolve_str(props["FunctionName"], f"{logical_id} FunctionName")
        if target not in functions:
            warnings.append(f"{logical_id}: target {target} is not a local function")
            continue
        if props.get("FilterCriteria"):
            warnings.append(f"{logical_id}: FilterCriteria is ignored locally (every message is delivered)")
        mappings.append(
            SqsMapping(
                logical_id=logical_id,
                function_id=functions[target],
                queue_id=queue.logical_id,
                queue_url=queue.physical_id,
                queue_arn=source_arn,
                batch_size=int(resolver.resolve(props.get("BatchSize", 10))),
                report_batch_item_failures="ReportBatchItemFailures"
                in resolver.resolve(props.get("FunctionResponseTypes", [])),
                enabled=resolver.resolve_str(props.get("Enabled", True), "Enabled") == "true",
            )
        )
    return mappings, warnings


class SqsPoller:
    def __init__(self, mapping: SqsMapping, invoke: Invoke, region: str) -> None:
        self.mapping = mapping
        self._invoke = invoke
        self._region = region
        self._client: SQSClient | None = None

    @property
    def _sqs(self) -> SQSClient:
        if self._client is None:  # created on first use, inside mock_aws / after the endpoint is set
            self._client = boto3.client("sqs", region_name=self._region)
        return self._client

    def poll_once(self, wait_seconds: int, *, redeliver_failed_now: bool = False) -> int:
        """Receive one batch and process it; returns the number of messages received.

        `redeliver_failed_now` (tests only) makes failed messages visible again at once instead of after
        the queue's VisibilityTimeout, so a test can walk a poison message to the DLQ quickly.
        """
        received = self._sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=min(self.mapping.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        invocation = self._invoke(self.mapping.function_id, sqs_event(messages, self.mapping, self._region))
        failed = failed_message_ids(invocation, [m["MessageId"] for m in messages], self.mapping)
        for message in messages:
            if message["MessageId"] in failed:
                if redeliver_failed_now:
                    self._sqs.change_message_visibility(
                        QueueUrl=self.mapping.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
            else:
                self._sqs.delete_message(QueueUrl=self.mapping.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def run(self, stop: threading.Event) -> None:
        """Background loop (run mode): long-poll until `stop` is set."""
        while not stop.is_set():
            try:
                self.poll_once(POLL_WAIT_SECONDS)
            except Exception:  # e.g. the moto server going away during shutdown
                log.exception("%s: polling failed", self.mapping.logical_id)
                stop.wait(POLL_WAIT_SECONDS)


def sqs_event(messages: list[MessageTypeDef], mapping: SqsMapping, region: str) -> dict[str, Any]:
    """Lambda's SQS event for a received batch."""
    records = []
    for message in messages:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": mapping.queue_arn,
            "awsRegion": region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """boto3's MessageAttributeValue → Lambda's camelCase shape (binary values base64-encoded)."""
    shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return shaped


def failed_message_ids(invocation: Invocation, message_ids: list[str], mapping: SqsMapping) -> set[str]:
    """Which messages to keep: all of them when the invocation failed, or the reported batch item
    failures; an invalid partial-batch response fails the whole batch, as Lambda documents."""
    everything = set(message_ids)
    if not invocation.ok:
        return everything
    if not mapping.report_batch_item_failures:
        return set()
    response = invocation.result
    if response is None:
        return set()
    if not isinstance(response, dict):
        return everything
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return everything
    reported: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            log.error("%s: invalid batchItemFailures entry %r; the whole batch fails", mapping.logical_id, failure)
            return everything
        reported.add(identifier)
    return reported
