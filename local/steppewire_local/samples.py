"""`run` extension: sample articles in both languages, published at start as an editor would (an upload
to the articles bucket's `incoming/`), so a new user's front page is full at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

import boto3

from steppewire.articles.publishing import INCOMING_PREFIX

if TYPE_CHECKING:
    from .stack import LocalStack

SAMPLES: Final = Path(__file__).resolve().parent.parent / "samples"
SAMPLES_PREFIX: Final = INCOMING_PREFIX + "samples/"
ARTICLES_BUCKET: Final = "ArticlesBucket"


class SampleArticles:
    """Uploads each file of `folder` the bucket does not hold yet (a restart that kept the bucket, or an
    editor's own change of a sample, is left as it is)."""

    def __init__(self, folder: Path = SAMPLES) -> None:
        self.folder = folder

    def parameter_overrides(self) -> Mapping[str, str]:
        return {}

    def before_start(self, stack: LocalStack) -> list[str]:
        bucket = stack.physical_id(ARTICLES_BUCKET)
        s3 = boto3.client("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=SAMPLES_PREFIX)
        present = {item["Key"] for page in pages for item in page.get("Contents", [])}
        files = sorted(path for path in self.folder.iterdir() if path.suffix in (".md", ".json"))
        uploaded = [path for path in files if SAMPLES_PREFIX + path.name not in present]
        for path in uploaded:
            s3.upload_file(str(path), bucket, SAMPLES_PREFIX + path.name)
        kept = f", {len(files) - len(uploaded)} already there" if len(uploaded) < len(files) else ""
        return [
            f"Samples        {len(uploaded)} sample articles from {self.folder} to s3://{bucket}/{SAMPLES_PREFIX}{kept}"
        ]

    def stop(self) -> None:
        """Nothing runs: the samples stay published."""
