"""AWS clients, created lazily (at first use, so tests' moto and the local stack's endpoint apply) and
reused for the life of the container.

botocore directly rather than boto3: Powertools' Tracer already loads botocore, while `import boto3`
adds ~100 ms (boto3.session, s3transfer) to every cold start for no feature these functions use.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

import botocore.session

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def dynamodb_client() -> DynamoDBClient:
    return cast("DynamoDBClient", _session().create_client("dynamodb"))


@cache
def s3_client() -> S3Client:
    return cast("S3Client", _session().create_client("s3"))


@cache
def sqs_client() -> SQSClient:
    return cast("SQSClient", _session().create_client("sqs"))


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto contexts)."""
    for factory in (dynamodb_client, s3_client, sqs_client, _session):
        factory.cache_clear()
