"""Where the compiled synonyms live: one S3 object in the articles bucket, written only by the publish function
once an editor's `config/synonyms.yaml` passed every check (one PUT: readers see the old table or the new, never
half of one), read by the search function at most once a minute per container, conditionally (ETag).

Light on purpose (no pydantic, no analyzer): the publish function imports it for every event it handles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONFIG_PREFIX: Final = "config/"  # editors' configuration files in the articles bucket
SYNONYMS_KEY: Final = f"{CONFIG_PREFIX}synonyms.yaml"
COMPILED_SYNONYMS_KEY: Final = "search/synonyms.json"  # outside config/, whose uploads notify the publish queue
SYNONYMS_TTL_SECONDS: Final = 60  # how long a search container trusts the table it read

NotModified = Literal["not modified"]
NOT_MODIFIED: NotModified = "not modified"


class S3SynonymStore:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    def write(self, bucket: str, compiled: str) -> None:
        self._client.put_object(
            Bucket=bucket,
            Key=COMPILED_SYNONYMS_KEY,
            Body=compiled.encode(),
            ContentType="application/json; charset=utf-8",
        )

    def read(self, bucket: str, etag: str | None) -> tuple[str, bytes] | NotModified | None:
        """(ETag, body); NOT_MODIFIED when the object still has `etag`; None when nothing is stored."""
        try:
            if etag is None:
                answer = self._client.get_object(Bucket=bucket, Key=COMPILED_SYNONYMS_KEY)
            else:
                answer = self._client.get_object(Bucket=bucket, Key=COMPILED_SYNONYMS_KEY, IfNoneMatch=etag)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("304", "NotModified"):
                return NOT_MODIFIED
            if code in ("NoSuchKey", "404"):
                return None
            raise
        return answer["ETag"], answer["Body"].read()
