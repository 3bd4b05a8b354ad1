"""The import's ports on AWS: the export streamed from S3, posts and "carry on" messages through SQS."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Final, cast

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

SQS_BATCH_MESSAGES: Final = 10
SQS_BATCH_BYTES: Final = 262_144  # a batch's messages together, like one message


class S3ExportFiles:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    @contextmanager
    def open(self, bucket: str, key: str, version_id: str | None) -> Iterator[IO[bytes]]:
        request: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            request["VersionId"] = version_id  # every pass reads the upload the event named
        body = self._client.get_object(**request)["Body"]
        try:
            yield cast("IO[bytes]", body)
        finally:
            body.close()


class SqsPostQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, messages: Sequence[str]) -> None:
        batch: list[str] = []
        size = 0
        for message in messages:
            length = len(message.encode())
            if batch and (len(batch) == SQS_BATCH_MESSAGES or size + length > SQS_BATCH_BYTES):
                self._send_batch(batch)
                batch, size = [], 0
            batch.append(message)
            size += length
        if batch:
            self._send_batch(batch)

    def _send_batch(self, batch: list[str]) -> None:
        entries = [{"Id": str(number), "MessageBody": body} for number, body in enumerate(batch)]
        answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)  # type: ignore[arg-type]
        if failed := answer.get("Failed"):
            # Raising makes SQS deliver the coordinator's message again; the checkpoint was not moved.
            raise RuntimeError(f"SQS refused {len(failed)} of {len(batch)} posts: {failed[0].get('Message')}")


class SqsRunQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def carry_on(self, run_id: str) -> None:
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"carry_on": run_id}))
