"""`make import WXR=export.xml`: upload a WordPress export to the running stack and follow its import.

What it shows is what an editor can read in the bucket: the import's report, `reports/imports/<name>.json`,
which the stack rewrites as the import goes (items done of the total, then the final counts and every
rejected post with its reason). The bar's rate and ETA are tqdm's, from the items done.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.exceptions import ClientError
from tqdm import tqdm

from steppewire.imports.runs import EXPORT_SUFFIXES, IMPORTS_PREFIX, RunStatus, report_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

POLL_SECONDS: Final = 0.5
QUIET_LIMIT_SECONDS: Final = 300  # no change in the report for this long: something is stuck
SHOWN_REJECTIONS: Final = 20


def import_export(export: Path, bucket: str) -> int:
    if not export.is_file():
        print(f"error: {export} is not a file", file=sys.stderr)
        return 2
    if not export.name.lower().endswith(EXPORT_SUFFIXES):
        print(f"error: {export.name} is not named .xml or .xml.gz, as a WordPress export is", file=sys.stderr)
        return 2
    s3 = boto3.client("s3")
    key = IMPORTS_PREFIX + export.name
    uploaded_at = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"uploading {export} ({export.stat().st_size:,} bytes) to s3://{bucket}/{key}")
    s3.upload_file(str(export), bucket, key)
    report = _follow(s3, bucket, report_key(key), uploaded_at)
    if report is None:
        return 1
    return _summarize(report, f"s3://{bucket}/{report_key(key)}")


def _follow(s3: S3Client, bucket: str, key: str, uploaded_at: str) -> dict[str, Any] | None:
    last_change = time.monotonic()
    seen: dict[str, Any] | None = None
    with tqdm(total=None, unit="item", desc="importing", dynamic_ncols=True) as bar:
        while True:
            report = _report(s3, bucket, key)
            current = report if report is not None and report["started_at"] >= uploaded_at else None
            if current is not None and current != seen:
                seen, last_change = current, time.monotonic()
                items = current["items"]
                bar.total = items["total"] or None
                bar.n = max(bar.n, items["done"])  # reports written at once by two workers may land out of order
                bar.set_postfix({name: count for name, count in current["counts"].items() if count}, refresh=False)
                bar.refresh()
                if current["status"] != RunStatus.IMPORTING:
                    return current
            if time.monotonic() - last_change > QUIET_LIMIT_SECONDS:
                bar.close()
                print(
                    f"error: the import's report s3://{bucket}/{key} has not changed for {QUIET_LIMIT_SECONDS} s; "
                    "see .local-stack/logs/ImportCoordinatorFunction.log and ImportWorkerFunction.log",
                    file=sys.stderr,
                )
                return None
            time.sleep(POLL_SECONDS)


def _report(s3: S3Client, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        document: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return document


def _summarize(report: dict[str, Any], where: str) -> int:
    if report["status"] == RunStatus.REFUSED:
        print(f"refused: {report.get('error')}")
        return 1
    counts = ", ".join(f"{count:,} {name}" for name, count in report["counts"].items())
    rate = report["posts_per_second"]  # none when the import took less than the report's one-second clock
    pace = f" ({rate} posts/s)" if rate is not None else ""
    print(f"finished in {report['elapsed_seconds']} s{pace}: {counts}")
    rejected = report.get("rejected", [])
    for line in rejected[:SHOWN_REJECTIONS]:
        print(f"  rejected post {line['post_id']} ({line['title']!r}): {'; '.join(line['reasons'])}")
    if len(rejected) > SHOWN_REJECTIONS:
        print(f"  ... and {len(rejected) - SHOWN_REJECTIONS} more")
    print(f"report: {where}")
    return 0
