"""`make deploy-site STACK=<name>`: the site/ folder to the stack's SiteBucket, and its config.json.

Each file gets the Content-Type the local site server gives it (ES modules need a JavaScript type, the
text types a charset) and a short Cache-Control, so a deploy is live at the edge within minutes; files
no longer in site/ are deleted (the bucket is versioned: a bad deploy can be rolled back). config.json
names the distribution as the API: the site calls it on its own origin.
"""

from __future__ import annotations

import json
import mimetypes
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from steppewire_local.site_server import CONFIG_PATH, CONTENT_TYPES

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ROOT = Path(__file__).resolve().parent.parent
CACHE_CONTROL = "public, max-age=300"


def publish_site(folder: Path, bucket: str, api: str, s3: S3Client) -> list[str]:
    """Uploads every file of `folder` and the generated config.json; returns the keys deleted."""
    config_key = CONFIG_PATH.lstrip("/")
    files = {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if path.is_file()}
    files.pop(config_key, None)  # generated: the folder's own copy (if any) is for nothing
    for key, path in files.items():
        content_type = CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        extra = {"ContentType": content_type or "application/octet-stream", "CacheControl": CACHE_CONTROL}
        s3.upload_file(str(path), bucket, key, ExtraArgs=extra)
    s3.put_object(
        Bucket=bucket,
        Key=config_key,
        Body=json.dumps({"api": api}).encode(),
        ContentType=CONTENT_TYPES[".json"],
        CacheControl=CACHE_CONTROL,
    )
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    stale = [item["Key"] for page in pages for item in page.get("Contents", []) if item["Key"] not in files]
    stale.remove(config_key)
    for start in range(0, len(stale), 1000):  # DeleteObjects takes at most 1,000 keys
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch})
    return stale


def stack_outputs(stack: str) -> dict[str, str]:
    described: dict[str, Any] = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: deploy_site.py STACK_NAME", file=sys.stderr)
        return 2
    outputs = stack_outputs(argv[0])
    bucket, edge = outputs["SiteBucketName"], outputs["ApiEdgeUrl"]
    deleted = publish_site(ROOT / "site", bucket, edge, boto3.client("s3"))
    print(f"site/ deployed to s3://{bucket} ({len(deleted)} stale files deleted); readers: {edge}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
