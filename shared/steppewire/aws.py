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


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def dynamodb_client() -> DynamoDBClient:
    return cast("DynamoDBClient", _session().create_client("dynamodb"))


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto contexts)."""
    dynamodb_client.cache_clear()
    _session.cache_clear()
