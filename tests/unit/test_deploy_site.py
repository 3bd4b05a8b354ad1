"""`make deploy-site`: what a reader's browser gets from the bucket (types, caching, config.json), and a
second deploy leaving no file of the first behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.deploy_site import publish_site

API = "https://d111111abcdef8.cloudfront.net"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="site")
        yield client


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def test_each_file_has_its_type_and_a_short_cache_life(s3: Any, tmp_path: Path) -> None:
    write(tmp_path, {"index.html": "<p>", "js/app.js": "export {}", "site.css": "p{}", "logo.svg": "<svg/>"})
    publish_site(tmp_path, "site", API, s3)
    heads = {key: s3.head_object(Bucket="site", Key=key) for key in ("index.html", "js/app.js", "site.css", "logo.svg")}
    assert {key: head["ContentType"] for key, head in heads.items()} == {
        "index.html": "text/html; charset=utf-8",
        "js/app.js": "text/javascript; charset=utf-8",
        "site.css": "text/css; charset=utf-8",
        "logo.svg": "image/svg+xml",
    }
    assert {head["CacheControl"] for head in heads.values()} == {"public, max-age=300"}


def test_config_json_names_the_edge_as_the_api_whatever_the_folder_holds(s3: Any, tmp_path: Path) -> None:
    write(tmp_path, {"index.html": "<p>", "config.json": '{"api": "http://127.0.0.1:3000"}'})
    publish_site(tmp_path, "site", API, s3)
    config = s3.get_object(Bucket="site", Key="config.json")
    assert (json.loads(config["Body"].read()), config["ContentType"]) == ({"api": API}, "application/json")


def test_a_second_deploy_deletes_the_files_it_no_longer_has(s3: Any, tmp_path: Path) -> None:
    write(tmp_path / "one", {"index.html": "<p>", "old.js": "export {}"})
    write(tmp_path / "two", {"index.html": "<p>new", "new.js": "export {}"})
    assert publish_site(tmp_path / "one", "site", API, s3) == []
    assert publish_site(tmp_path / "two", "site", API, s3) == ["old.js"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="site")["Contents"]]
    assert sorted(keys) == ["config.json", "index.html", "new.js"]
    assert s3.get_object(Bucket="site", Key="index.html")["Body"].read() == b"<p>new"
