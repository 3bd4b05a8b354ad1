"""The publishing ports on AWS: S3 for files and reports, SQS for the indexer's feed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


class S3ObjectStorage:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    def read(self, bucket: str, key: str, version_id: str | None) -> bytes | None:
        request: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            request["VersionId"] = version_id
        try:
            return self._client.get_object(**request)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchVersion", "404"):
                return None
            raise

    def put_report(self, bucket: str, key: str, document: Mapping[str, Any]) -> None:
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        self._client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8")


class SqsIndexFeed:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def announce(self, action: str, slug: str, revision: int) -> None:
        body = json.dumps({"action": action, "slug": slug, "revision": revision})
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)
