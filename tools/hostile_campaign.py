"""A bounded hostile campaign against a running local stack (`make run` / `python -m steppewire_local run`).

    PYTHONPATH=shared:local:. .venv/bin/python tools/hostile_campaign.py --state-dir .local-stack \
        [--parts articles,api,feeds]

Three parts, each bounded in count and time, all traffic on 127.0.0.1:

1. articles: hostile article files and odd keys uploaded to `incoming/`; every upload must get a JSON report
   under `reports/` with a status (a rejection: errors naming a field); put/delete races; identical re-uploads.
2. api: hostile requests on every route; never a 5xx; every 4xx a JSON body (naming the parameter when a
   parameter was at fault).
3. feeds: a hostile bank-feed server on 127.0.0.1 (default port 8811); RatesIngestFunction invoked against it;
   no wrong rate may be stored and every run must end inside the function's Timeout.

Prints a summary with counts and exits 1 if anything broke the contract (2 if the stack is not reachable).
Not a test module (pytest collects only `tests/`); needs boto3 (in the project's .venv) and, for where
a report lands, `steppewire` on the path (PYTHONPATH as above).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from steppewire.articles.publishing import report_key

INCOMING = "incoming/"
STATUSES = {"published", "updated", "unpublished", "rejected", "failed"}
HOST = "127.0.0.1"
SAFE_IN_PATH = "".join(chr(i) for i in range(0x21, 0x7F))


# --------------------------------------------------------------------------- bookkeeping
@dataclass
class Finding:
    part: str
    what: str
    happened: str
    expected: str

    def line(self) -> str:
        return f"[{self.part}] {self.what}\n      happened: {self.happened}\n      expected: {self.expected}"


@dataclass
class Campaign:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)

    def fail(self, part: str, what: str, happened: str, expected: str) -> None:
        self.findings.append(Finding(part, what, happened[:600], expected))

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by


def front(fields: str, body: str = "Body text of a hostile test article.\n") -> bytes:
    return f"---\n{fields}\n---\n\n{body}".encode()


def ok_fields(slug: str, extra: str = "") -> str:
    return f"title: Hostile {slug}\ndate: 2026-11-20\nslug: {slug}\n{extra}".rstrip("\n")


# --------------------------------------------------------------------------- part 1: articles
@dataclass
class Upload:
    name: str
    key: str
    data: bytes
    expect: str | None  # "rejected", "published" or None (either, but a report)
    slug: str | None = None  # to check GET /articles/{slug} when published
    field: str | None = None  # a rejection should name this field
    xss: bool = False  # the stored article must carry no active markup


def alias_bomb(levels: int, width: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines)


def hostile_files(run: str) -> list[Upload]:
    p = f"{INCOMING}hostile-{run}/"
    s = f"h{run}"  # slug prefix
    u: list[Upload] = []

    def add(name: str, data: bytes, expect: str | None, **kw: Any) -> None:
        u.append(Upload(name, f"{p}{name}", data, expect, **kw))

    bomb = alias_bomb(9)
    add("alias-bomb-date.md", front(f"title: Bomb\n{bomb}\ndate: *a8"), "rejected", field="date")
    add("alias-bomb-title.md", front(f"{bomb}\ntitle: *a8\ndate: 2026-11-20"), "rejected")
    add("alias-simple.md", front("t: &t Simple alias\ntitle: *t\ndate: 2026-11-20"), "rejected")
    add("alias-merge.md", front("base: &b {category: Economy}\n<<: *b\ntitle: Merge\ndate: 2026-11-20"), "rejected")
    add("tag-int.md", front("title: Tag int\ndate: !!int abc"), "rejected")
    add("tag-timestamp.md", front("title: Tag ts\ndate: !!timestamp 2025-02-30"), "rejected")
    add("tag-python.md", front("title: !!python/object:os.system {}\ndate: 2026-11-20"), "rejected")
    add(
        "tag-python-apply.md",
        front('title: Py\ndate: 2026-11-20\nx: !!python/object/apply:os.system ["id"]'),
        "rejected",
    )
    add("tag-binary.md", front("title: !!binary aGVsbG8=\ndate: 2026-11-20"), "rejected")
    add("tag-custom.md", front("title: !custom thing\ndate: 2026-11-20"), "rejected")
    nested = "extra:" + "".join("\n" + "  " * (i + 1) + f"k{i}:" for i in range(40)) + " leaf"
    add("deep-nesting-block.md", front(f"title: Deep\ndate: 2026-11-20\n{nested}"), "rejected")
    add("deep-nesting-flow.md", front("title: Deep flow\ndate: 2026-11-20\nx: " + "[" * 5000 + "]" * 5000), "rejected")
    big = "9" * 5000
    add("int-5000-date.md", front(f"title: Big int\ndate: {big}"), "rejected", field="date")
    add("int-5000-title.md", front(f"title: {big}\ndate: 2026-11-20"), "rejected", field="title")
    add("int-5000-extra.md", front(ok_fields(f"{s}-int-extra", f"views: {big}")), None, slug=f"{s}-int-extra")
    for label, value in (
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31T2330-1000", "9999-12-31T23:30:00-10:00"),
        ("1969-12-31", "1969-12-31"),
        ("1970-01-01", "1970-01-01"),
        ("2025-02-30", "2025-02-30"),
        ("24h00", "2026-11-20T24:00:00+05:00"),
        ("0000-00-00", "0000-00-00"),
        ("nan", ".nan"),
        ("inf", ".inf"),
        ("true", "true"),
        ("null", "null"),
        ("list", "[2026-11-20]"),
        ("map", "{y: 2026}"),
        ("10000-01-01", "10000-01-01"),
    ):
        add(f"date-{label}.md", front(f"title: Date {label}\ndate: {value}"), "rejected", field="date")
    add("date-0001-01-01.json", json.dumps({"title": "J", "date": "0001-01-01", "body": "x"}).encode(), "rejected")
    add("date-9999-json.json", json.dumps({"title": "J", "date": "9999-12-31T23:30:00-10:00"}).encode(), "rejected")
    add("date-naive.md", front(f"title: Naive\ndate: 2026-11-20T14:30:00\nslug: {s}-naive"), None, slug=f"{s}-naive")
    add("title-int.md", front("title: 42\ndate: 2026-11-20"), None)
    add("title-list.md", front("title: [a, b]\ndate: 2026-11-20"), "rejected", field="title")
    add("title-map.md", front("title: {a: b}\ndate: 2026-11-20"), "rejected", field="title")
    add("title-empty.md", front("title: ''\ndate: 2026-11-20"), "rejected", field="title")
    add("title-301.md", front(f"title: {'T' * 301}\ndate: 2026-11-20"), "rejected", field="title")
    add("tags-map.md", front(ok_fields(f"{s}-tags-map", "tags: {a: b}")), None, slug=f"{s}-tags-map")
    add("tags-nested.md", front(ok_fields(f"{s}-tags-nest", "tags: [[a, [b]], 1, null]")), None)
    add(
        "tags-21.md",
        front(ok_fields(f"{s}-tags21", "tags: [" + ", ".join(f"t{i}" for i in range(21)) + "]")),
        "rejected",
    )
    tags20 = "tags: [" + ", ".join(f"t{i}" for i in range(20)) + "]"
    add("tags-20.md", front(ok_fields(f"{s}-tags20", tags20)), "published", slug=f"{s}-tags20")
    add("title-only-markup.md", front('title: "<script>x</script>"\ndate: 2026-11-20'), None)
    add("lang-xx.md", front(ok_fields(f"{s}-lang", "lang: xx")), "rejected", field="lang")
    add("slug-traversal.md", front("title: Slug\ndate: 2026-11-20\nslug: ../../etc/passwd"), "rejected", field="slug")
    add("slug-int.md", front("title: Slug int\ndate: 2026-11-20\nslug: 12345678901234567890123"), None)
    add(
        "image-js.md",
        front(ok_fields(f"{s}-image-js", "image: javascript:alert(1)")),
        None,
        slug=f"{s}-image-js",
        xss=True,
    )
    add("front-huge.md", front("title: Huge\ndate: 2026-11-20\nx: '" + "y" * 70_000 + "'"), "rejected")
    add("front-unclosed.md", b"---\ntitle: Never closed\ndate: 2026-11-20\n\nbody and more body\n", "rejected")
    add("front-none.md", b"# Just markdown\n\nNo front matter.\n", "rejected")
    add("front-list.md", b"---\n- a\n- b\n---\nbody\n", "rejected")
    add("front-scalar.md", b"---\njust a string\n---\nbody\n", "rejected")
    add("front-multidoc.md", b"---\ntitle: A\ndate: 2026-11-20\n---\n---\ntitle: B\n---\nbody\n", None)
    add("yaml-broken.md", front("title: [unclosed\ndate: 2026-11-20"), "rejected")
    add("yaml-dup-keys.md", front(f"title: One\ntitle: Two\ndate: 2026-11-20\nslug: {s}-dup"), None)
    add("bom-utf8.md", b"\xef\xbb\xbf" + front(ok_fields(f"{s}-bom")), None, slug=f"{s}-bom")
    add("crlf.md", front(ok_fields(f"{s}-crlf")).replace(b"\n", b"\r\n"), "published", slug=f"{s}-crlf")
    add("cr-only.md", front(ok_fields(f"{s}-cr")).replace(b"\n", b"\r"), None)
    add(
        "utf16.md", "\ufeff".encode("utf-16-le") + front(ok_fields(f"{s}-u16")).decode().encode("utf-16-le"), "rejected"
    )
    add("utf16-nobom.md", front(ok_fields(f"{s}-u16b")).decode().encode("utf-16-be"), "rejected")
    cyr = "---\ntitle: Тенге укрепился после решения\ndate: 2026-11-20\n---\n\nНациональный банк сохранил ставку.\n"
    add("cp1251.md", cyr.encode("cp1251"), "rejected")
    add("nul-bytes.md", front(ok_fields(f"{s}-nul"), "body \x00 with \x00 NULs\n"), None)
    add("nul-in-title.md", front('title: "Null \\0 title"\ndate: 2026-11-20'), None)
    add("png.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "rejected")
    add("pdf.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "rejected")
    add("zip.docx", b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "rejected")
    add("gzip.md", b"\x1f\x8b\x08\x00" + bytes(100), "rejected")
    add("empty.md", b"", "rejected")
    add("whitespace.md", b"   \n\n\t\n", "rejected")
    add(
        "json-ok.json",
        json.dumps({"title": "Json ok", "date": "2026-11-20", "slug": f"{s}-json", "body": "Hi"}).encode(),
        "published",
        slug=f"{s}-json",
    )
    add("json-deep.json", b"[" * 100_000 + b"]" * 100_000, "rejected")
    add("json-deep-obj.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "rejected")
    add("json-array.json", b"[1, 2, 3]", "rejected")
    add("json-number.json", b"12345", "rejected")
    add("json-bignum.json", ("9" * 5000).encode(), "rejected")
    add("json-body-number.json", json.dumps({"title": "Jn", "date": "2026-11-20", "body": 123}).encode(), None)
    add("json-title-obj.json", json.dumps({"title": {"x": 1}, "date": "2026-11-20"}).encode(), "rejected")
    add("json-nan.json", b'{"title": "N", "date": NaN, "body": "x"}', "rejected")
    add(
        "json-dup.json",
        b'{"title": "A", "title": "B", "date": "2026-11-20", "slug": "' + f"{s}-jdup".encode() + b'"}',
        None,
    )
    add(
        "json-bom.json",
        b"\xef\xbb\xbf" + json.dumps({"title": "Bom", "date": "2026-11-20", "slug": f"{s}-jbom"}).encode(),
        None,
    )
    for label, unit in (
        ("quote", "> "),
        ("star", "* "),
        ("bracket", "["),
        ("emph", "*"),
        ("backtick", "`"),
        ("lt", "<"),
    ):
        add(
            f"mdbomb-{label}.md",
            front(ok_fields(f"{s}-md-{label}"), unit * 10_000 + "x\n"),
            None,
            slug=f"{s}-md-{label}",
        )
    add("mdbomb-links.md", front(ok_fields(f"{s}-md-links"), "[a](" * 10_000 + "\n"), None)
    add("mdbomb-list.md", front(ok_fields(f"{s}-md-list"), "".join("  " * i + "- x\n" for i in range(2000))), None)
    xss_body = (
        "<script>alert(1)</script>\n<iframe src='https://evil.example'></iframe>\n"
        '[click](javascript:alert(2)) <a href="JaVaScRiPt:alert(3)">x</a>\n'
        "<img src=x onerror=alert(4)> <svg onload=alert(5)></svg> <a href='data:text/html,<script>'>d</a>\n"
        "[caption]<img src='javascript:alert(6)' />[/caption] <style>body{}</style> <object data=x></object>\n"
        '<div style="background:url(javascript:alert(7))">s</div> <form action=javascript:1><input></form>\n'
        '&#106;avascript:alert(8) <a href="&#x6A;avascript:alert(9)">e</a>\n'
    )
    add(
        "xss.md",
        front(
            f"title: \"Tenge <script>alert('t')</script>news<img src=x onerror=alert(1)>\"\n"
            f"date: 2026-11-20\nslug: {s}-xss\n"
            'summary: "<iframe src=javascript:alert(1)>"',
            xss_body,
        ),
        "published",
        slug=f"{s}-xss",
        xss=True,
    )
    add(
        "xss.json",
        json.dumps(
            {
                "title": "Rates <svg onload=alert(1)>ok</svg>",
                "date": "2026-11-20",
                "slug": f"{s}-xssj",
                "body": xss_body,
            }
        ).encode(),
        "published",
        slug=f"{s}-xssj",
        xss=True,
    )
    add(
        "shortcodes-unbalanced.md",
        front(
            ok_fields(f"{s}-sc"),
            "[caption]open [caption id=x]twice [/gallery] "
            '[/caption][/caption] [embed]https://x[embed] [caption width="800\n',
        ),
        None,
        slug=f"{s}-sc",
        xss=True,
    )
    add("shortcodes-many.md", front(ok_fields(f"{s}-sc-many"), "[caption]" * 20_000), None)
    add("body-300k.md", front(ok_fields(f"{s}-long"), "word " * 61_000), "rejected", field="body")
    add("body-over-1mib.md", front(ok_fields(f"{s}-huge"), "x" * (1024 * 1024 + 10)), "rejected")
    add(
        "collision-a.md",
        front(f"title: Collision A\ndate: 2026-11-20\nslug: {s}-collide"),
        "published",
        slug=f"{s}-collide",
    )
    # collision-b is uploaded after collision-a has its report (see run_articles)
    return u


def odd_keys(run: str) -> list[Upload]:
    p = f"{INCOMING}odd-{run}/"
    s = f"o{run}"
    names = [
        ("space", "with space.md"),
        ("plus", "plus+sign.md"),
        ("percent", "percent%20literal%2F.md"),
        ("unicode", "статья-алматы.md"),
        ("emoji", "emoji-\U0001f600.md"),
        ("dotdot", "../../escape.md"),
        ("dotdot-mid", "a/../b/./c.md"),
        ("slash-trailing", "folder/"),
        ("double-slash", "x//y.md"),
        ("json-is-md", "markdown.json"),
        ("no-ext", "noext"),
        ("quotes", "q\"'<>&|;$`.md"),
        ("control", "tab\tand\x7fdel.md"),
        ("upper", "UPPER.MD"),
    ]
    u = [
        Upload(f"key-{label}", p + name, front(ok_fields(f"{s}-{label}")), None, slug=f"{s}-{label}")
        for label, name in names
    ]
    u.append(Upload("key-prefix-only", INCOMING, front(ok_fields(f"{s}-prefix")), None))
    for total in (1000, 1024):
        stem = p + "long-"
        name = stem + "k" * (total - len(stem.encode()) - 3) + ".md"
        assert len(name.encode()) == total
        u.append(Upload(f"key-long-{total}", name, front(ok_fields(f"{s}-long{total}")), None, slug=f"{s}-long{total}"))
    cyr_stem = p + "длинный-"
    cyr = cyr_stem + "ж" * ((1024 - len(cyr_stem.encode()) - 3) // 2)
    u.append(Upload("key-long-cyrillic", cyr + ".md", front(ok_fields(f"{s}-longcyr")), None, slug=f"{s}-longcyr"))
    return u


class Articles:
    def __init__(self, c: Campaign, s3: Any, bucket: str, api: Api, wait_s: float) -> None:
        self.c, self.s3, self.bucket, self.api, self.wait_s = c, s3, bucket, api, wait_s
        self.queues: dict[str, str] = {}
        self.latency: dict[str, float] = {}  # key -> monotonic time its report was first seen
        self.sqs: Any = None

    def report_key(self, key: str) -> str:
        """Where the README says the report lands (a key too long for S3 is shortened by the documented
        rule); the checks below still measure the result against S3's limit themselves."""
        return report_key(key)

    def put(self, key: str, data: bytes) -> bool:
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            return True
        except (ClientError, BotoCoreError) as exc:
            self.c.notes.append(f"upload refused by S3 (skipped): {key!r}: {exc}")
            return False

    def report_stamp(self, key: str) -> str | None:
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=self.report_key(key))
            return f"{head['ETag']}@{head['LastModified'].isoformat()}"
        except (ClientError, BotoCoreError):
            return None

    def wait_reports(self, keys: dict[str, str | None], deadline: float) -> dict[str, dict[str, Any] | str | None]:
        """key -> report document (new since `keys[key]`'s ETag), a str if not JSON, None if none came."""
        found: dict[str, dict[str, Any] | str | None] = {}
        pending = dict(keys)
        while pending and time.monotonic() < deadline:
            for key, old in list(pending.items()):
                rkey = self.report_key(key)
                try:
                    obj = self.s3.get_object(Bucket=self.bucket, Key=rkey)
                except (ClientError, BotoCoreError):
                    continue
                if old is not None and f"{obj['ETag']}@{obj['LastModified'].isoformat()}" == old:
                    continue
                self.latency[key] = time.monotonic()
                raw = obj["Body"].read()
                try:
                    doc = json.loads(raw)
                    found[key] = doc if isinstance(doc, dict) else raw.decode("utf-8", "replace")
                except ValueError:
                    found[key] = raw.decode("utf-8", "replace")
                del pending[key]
            if pending:
                time.sleep(0.5)
        for key in pending:
            found[key] = None
        return found

    def check_report(self, up: Upload, doc: dict[str, Any] | str | None) -> None:
        c = self.c
        label = f"{up.name} (key {up.key[:120]!r}{'…' if len(up.key) > 120 else ''}, {len(up.data):,} bytes)"
        if doc is None:
            c.count("articles.without_report")
            c.fail(
                "articles",
                label,
                f"no report at {self.report_key(up.key)[:140]!r} within the wait",
                "every upload gets reports/<path>.json (README)",
            )
            return
        c.count("articles.with_report")
        rkey = self.report_key(up.key)
        if len(rkey.encode()) > 1024:
            c.count("articles.report_key_over_s3_limit")
            c.fail(
                "articles",
                label,
                f"report key is {len(rkey.encode())} bytes (moto accepts it; S3 refuses keys over "
                "1,024 bytes, so on AWS this file would get no report)",
                "a shortened, unique, documented report key",
            )
        if isinstance(doc, str):
            c.count("articles.report_not_json")
            c.fail("articles", label, f"report is not a JSON object: {doc[:200]!r}", "a JSON report with a status")
            return
        if not str(doc.get("source", "")).endswith(f"/{up.key}"):
            c.fail("articles", label, f"report source {str(doc.get('source'))[:140]!r}", "the file's full key")
        status = doc.get("status")
        c.count(f"articles.status.{status}")
        if status not in STATUSES:
            c.fail(
                "articles", label, f"report status {status!r}: {json.dumps(doc)[:300]}", f"one of {sorted(STATUSES)}"
            )
            return
        if status == "failed":
            c.count("articles.crashes")
            c.fail(
                "articles",
                label,
                f"status failed (a fault of ours): {json.dumps(doc)[:400]}",
                "a file's own fault is a rejection naming the field, never a crash",
            )
            return
        if status == "rejected":
            errors = doc.get("errors")
            if (
                not isinstance(errors, list)
                or not errors
                or not all(
                    isinstance(e, dict)
                    and isinstance(e.get("field"), str)
                    and e.get("field")
                    and isinstance(e.get("message"), str)
                    and e.get("message")
                    for e in errors
                )
            ):
                c.fail(
                    "articles",
                    label,
                    f"rejected without well-formed errors: {json.dumps(doc)[:300]}",
                    "errors: [{field, message}, …]",
                )
            elif up.field and not any(
                e.get("field") == up.field or str(e.get("field")).startswith("line ") for e in errors
            ):
                c.fail(
                    "articles",
                    label,
                    f"rejected, but errors name {[e.get('field') for e in errors]}: {json.dumps(errors)[:300]}",
                    f"an error naming the field {up.field!r}",
                )
        if up.expect == "rejected" and status != "rejected":
            c.fail(
                "articles",
                label,
                f"status {status!r}: {json.dumps(doc)[:300]}",
                "rejected (README lists this as rejected)",
            )
        if up.expect == "published" and status not in ("published", "updated"):
            c.fail("articles", label, f"status {status!r}: {json.dumps(doc)[:300]}", "published")
        if status in ("published", "updated"):
            slug = doc.get("slug") or up.slug
            if isinstance(slug, str):
                self.check_article(label, slug, up.xss)

    def check_article(self, label: str, slug: str, xss: bool) -> None:
        status, body, _ = self.api.get(f"/articles/{urllib.parse.quote(slug, safe='')}")
        if status >= 500:
            self.c.fail("articles", label, f"GET /articles/{slug} -> {status}", "200")
            return
        if status != 200:
            self.c.fail("articles", label, f"published, but GET /articles/{slug} -> {status} {body[:200]!r}", "200")
            return
        if xss:
            try:
                art = json.loads(body)
            except ValueError:
                return
            html = str(art.get("body_html", "")).lower()
            for bad in (
                "<script",
                "<iframe",
                "<object",
                "<embed",
                "<style",
                "<form",
                "<svg",
            ):
                if bad in html:
                    self.c.fail(
                        "articles", label, f"body_html of {slug!r} contains {bad!r}: {html[:300]!r}", "sanitized"
                    )
            for tag in re.findall(r"<[^>]*>", html):
                if re.search(r"\son\w+\s*=", tag) or re.search(
                    r"(href|src|action|formaction|style|xlink:href)\s*=\s*[\"']?[^\"'>]*(javascript|vbscript|data):",
                    tag,
                ):
                    self.c.fail(
                        "articles", label, f"body_html of {slug!r} has an active tag {tag[:200]!r}", "sanitized"
                    )
            for fld in ("title", "summary", "excerpt"):
                v = str(art.get(fld, "")).lower()
                if "<script" in v or "<iframe" in v or "<img" in v or "<svg" in v:
                    self.c.fail("articles", label, f"{fld} of {slug!r} keeps markup: {v[:200]!r}", "plain text")
            image = str(art.get("image") or "")
            if image and not image.startswith(("http://", "https://")):
                self.c.fail("articles", label, f"image of {slug!r} is {image!r}", "http(s) only")

    def run(self, run: str) -> None:
        c = self.c
        uploads = hostile_files(run) + odd_keys(run)
        started = time.monotonic()
        stamps: dict[str, str | None] = {}
        by_key: dict[str, Upload] = {}
        for up in uploads:
            if self.put(up.key, up.data):
                stamps[up.key] = None
                by_key[up.key] = up
        c.count("articles.uploaded", len(by_key))
        reports = self.wait_reports(stamps, time.monotonic() + self.wait_s)
        for key, doc in reports.items():
            self.check_report(by_key[key], doc)
        if self.latency:
            c.durations["articles: upload to the last report that came"] = max(self.latency.values()) - started
        c.durations["articles: hostile files and odd keys, upload to last report"] = time.monotonic() - started

        # a slug collision: another file claiming a slug that collision-a owns
        s = f"h{run}"
        b = Upload(
            "collision-b.md",
            f"{INCOMING}hostile-{run}/collision-b.md",
            front(f"title: Collision B\ndate: 2026-11-21\nslug: {s}-collide"),
            "rejected",
            field="slug",
        )
        if self.put(b.key, b.data):
            c.count("articles.uploaded")
            self.check_report(b, self.wait_reports({b.key: None}, time.monotonic() + self.wait_s)[b.key])
            st, body, _ = self.api.get(f"/articles/{s}-collide")
            if st == 200 and "Collision B" in body:
                c.fail("articles", "slug collision", f"{s}-collide now serves collision-b", "stays with collision-a")

        self.races(run)
        self.reuploads(run)
        self.dlq()

    def races(self, run: str) -> None:
        c = self.c
        started = time.monotonic()
        keys: dict[str, str] = {}
        for i in range(20):
            slug = f"r{run}-race-{i}"
            key = f"{INCOMING}race-{run}/race-{i}.md"
            if self.put(key, front(f"title: Race {i}\ndate: 2026-11-20\nslug: {slug}")):
                self.s3.delete_object(Bucket=self.bucket, Key=key)
                keys[key] = slug
        c.count("articles.race_pairs", len(keys))
        c.count("articles.uploaded", len(keys))
        reports = self.wait_reports(dict.fromkeys(keys), time.monotonic() + self.wait_s)
        time.sleep(3)  # let any straggling event land
        for key, slug in keys.items():
            doc = reports[key]
            if doc is None:
                c.count("articles.without_report")
                c.fail("articles", f"put/delete race {key}", "no report", "a report (README: every upload gets one)")
            else:
                c.count("articles.with_report")
                status = doc.get("status") if isinstance(doc, dict) else None
                c.count(f"articles.race_status.{status}")
                if status == "failed":
                    c.count("articles.crashes")
                    c.fail("articles", f"put/delete race {key}", f"report {doc}", "not a crash")
            st, body, _ = self.api.get(f"/articles/{slug}")
            if st != 404:
                c.fail(
                    "articles",
                    f"put/delete race {key}",
                    f"GET /articles/{slug} -> {st} {body[:150]!r}",
                    "404: the file was deleted last",
                )
        c.durations["articles: 20 put/delete races"] = time.monotonic() - started

    def reuploads(self, run: str) -> None:
        c = self.c
        slug = f"u{run}-same"
        key = f"{INCOMING}reupload-{run}/same.md"
        data = front(f"title: Same bytes\ndate: 2026-11-20\nslug: {slug}")
        revisions: list[Any] = []
        for attempt, payload in enumerate((data, data, data, data + b"changed\n")):
            old = self.report_stamp(key)
            if not self.put(key, payload):
                return
            c.count("articles.uploaded")
            c.count("articles.reuploads")
            wait = 15 if attempt in (1, 2) else self.wait_s
            doc = self.wait_reports({key: old}, time.monotonic() + wait)[key]
            if doc is None:
                # identical bytes may legitimately write an identical report (same ETag): read it as is
                doc = self.wait_reports({key: None}, time.monotonic() + 2)[key]
                if doc is not None and attempt in (1, 2):
                    c.notes.append(f"re-upload {attempt}: report unchanged (identical ETag): {doc}")
            if doc is None:
                c.count("articles.without_report")
                c.fail("articles", f"re-upload #{attempt} of {key}", "no report", "a report")
            else:
                c.count("articles.with_report")
            st, body, _ = self.api.get(f"/articles/{slug}")
            rev = json.loads(body).get("revision") if st == 200 else None
            revisions.append(rev)
        if revisions[:3] != [1, 1, 1] or revisions[3] != 2:
            c.fail(
                "articles",
                f"re-uploads of identical bytes ({key})",
                f"revisions seen {revisions}",
                "[1, 1, 1, 2]: identical bytes change nothing, new bytes make revision 2",
            )

    def dlq(self) -> None:
        for name in ("PublishDLQ", "IndexDLQ"):
            url = self.queues.get(name)
            if not url:
                continue
            try:
                attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            except (ClientError, BotoCoreError):
                continue
            n = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
            self.c.counts[f"articles.{name}_messages"] = n
            if n:
                self.c.count("articles.crashes", n)
                self.c.fail(
                    "articles",
                    f"{name}",
                    f"{n} message(s) dead-lettered during the campaign",
                    "0: a file's own fault is never retried into the DLQ",
                )


# --------------------------------------------------------------------------- part 2: API
class Api:
    def __init__(self, base: str, timeout: float = 30) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname or HOST, parsed.port or 80
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str, dict[str, str]]:
        # Non-ASCII, spaces and control characters go percent-encoded; every other byte is sent as written.
        path = urllib.parse.quote(path, safe=SAFE_IN_PATH)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data.decode("utf-8", "replace"), {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self.request("GET", path)


JUNK_DATES = [
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2025-02-30",
    "2026-13-01",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "20261101",
    "2026-11-01T00:00",
    "today",
    "",
    "%00",
    "1969-12-31",
    "1970-01-01",
    "2026-11-01%2000:00",
    "%E2%80%8E2026-11-01",
    "9" * 30,
    "２０２６-１１-０１",
]
JUNK_INTS = [
    "0",
    "-1",
    "1e3",
    "1.5",
    "999999999999999999999999",
    "9" * 5000,
    "0x10",
    "NaN",
    "",
    "%20",
    "١٢",
    "+5",
    " 5",
]
JUNK_STRINGS = [
    "",
    "%00",
    "%FF%FE",
    "%",
    "%%",
    "%zz",
    "..%2F..%2Fetc%2Fpasswd",
    "a" * 10_240,
    "<script>",
    "' OR 1=1--",
    "%F0%9F%98%80",
    "Алматы",
    "\u202e",
    "%C0%AF",
    "null",
    "[]",
    "{}",
    "*",
    "%0d%0aX-Injected:1",
]


def api_cases() -> Iterator[tuple[str, str, str | None]]:
    """(method, path, parameter that is at fault or None)."""
    for route in ("/rates", "/articles", "/search?q=tenge", "/openapi.json", "/rates/KZT/history", "/articles/x"):
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"):
            yield method, route, None
    for cur in (
        "KZT",
        "kzt",
        "USD",
        "XXX",
        "",
        "K%00T",
        "..",
        "%2e%2e",
        "KZT%2F..",
        "A" * 10_240,
        "Тенге",
        "%FF",
        "KZT/../../etc",
        "KZT%20",
    ):
        yield "GET", f"/rates/{cur}/history", None
        yield "GET", f"/rates/{cur}", None
    for d in JUNK_DATES:
        for p in ("from", "to"):
            yield "GET", f"/rates/KZT/history?{p}={d}", p
            yield "GET", f"/search?q=tenge&{p}={d}", p
    yield "GET", "/rates/KZT/history?from=0001-01-01&to=9999-12-31", "from"
    yield "GET", "/rates/KZT/history?from=9999-12-31&to=9999-12-31", None
    yield "GET", "/rates/KZT/history?from=0001-01-01&to=0001-01-01", None
    yield "GET", "/rates/KZT/history?from=9999-12-31", "from"
    yield "GET", "/rates/KZT/history?to=0001-01-02", None
    yield "GET", "/rates/KZT/history?from=2026-11-01&from=2026-11-02&to=2026-11-30&to=2026-11-03", None
    yield "GET", "/rates/KZT/history?from=2026-11-30&to=2026-11-01", "from"
    yield "GET", "/search?q=tenge&from=9999-12-31&to=0001-01-01", "from"
    yield "GET", "/search?q=tenge&from=0001-01-01&to=9999-12-31", None
    for v in JUNK_INTS:
        yield "GET", f"/articles?limit={v}", "limit"
        yield "GET", f"/search?q=tenge&page={v}", "page"
        yield "GET", f"/search?q=tenge&per_page={v}", "per_page"
    for v in JUNK_STRINGS:
        for p in ("lang", "category", "tag", "country"):
            yield "GET", f"/articles?{p}={v}", p
        yield "GET", f"/articles?cursor={v}", "cursor"
        yield "GET", f"/search?q={v}", "q"
        yield "GET", f"/search?q=tenge&sort={v}", "sort"
        yield "GET", f"/search?q=tenge&lang={v}&category={v}", None
        yield "GET", f"/articles/{v}", None
        yield "GET", f"/rates?base={v}", None
    for q in (
        '"',
        '""',
        '"unclosed',
        "«",
        "„“",
        "*",
        "a" * 200,
        "a" * 201,
        "-",
        "the the the",
        "алма",
        "tenge%20",
        "%20%20%20",
        "a%00b",
        "%22central%20bank%22",
        " ".join(["x"] * 100),
        "😀" * 100,
    ):
        yield "GET", f"/search?q={q}", "q"
    yield "GET", "/search", "q"
    yield "GET", "/search?q=a&q=b&q=c", None
    yield "GET", "/search?q=tenge&page=1&page=2&per_page=50&per_page=0", None
    yield "GET", "/articles?limit=5&limit=500", None
    yield "GET", "/search?" + "&".join(f"p{i}=x" for i in range(500)) + "&q=tenge", None
    yield "GET", "/search?q=tenge&" + "x" * 10_240 + "=1", None
    for junk in (
        "/",
        "/nope",
        "/rates/",
        "/rates//history",
        "/articles/",
        "/articles//x",
        "/search/",
        "/OPENAPI.JSON",
        "/openapi.json/..",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "//rates",
        "/rates?%",
        "/rates#x",
        "/articles/..%2F..%2Fetc",
        "/rates/KZT/history/extra",
        "/" + "a" * 10_240,
        "/%",
        "/%ZZ",
        "/?=&=&",
        "/rates?;",
        "/openapi.json?x=" + "%" * 100,
        "/articles/%F0%9F%98%80",
        "/articles/a%2Fb",
    ):
        yield "GET", junk, None
    for p in ("/rates?base=KZT", "/openapi.json", "/articles?limit=1", "/search?q=almaty", "/rates/KZT/history"):
        yield "GET", p, None


def run_api(c: Campaign, api: Api, max_requests: int, time_limit: float) -> None:
    started = time.monotonic()
    cases = list(api_cases())[:max_requests]

    def one(case: tuple[str, str, str | None]) -> None:
        method, path, param = case
        what = f"{method} {path[:160]}{'…' if len(path) > 160 else ''}"
        if time.monotonic() - started > time_limit:
            c.count("api.skipped_time_limit")
            return
        t0 = time.monotonic()
        try:
            status, body, headers = api.request(method, path)
        except (OSError, http.client.HTTPException) as exc:
            c.count("api.sent")
            c.count("api.no_answer")
            c.fail("api", what, f"no HTTP answer: {type(exc).__name__}: {exc}", "a 2xx or 4xx")
            return
        c.count("api.sent")
        c.count(f"api.status.{status // 100}xx")
        took = time.monotonic() - t0
        if took > 10:
            c.fail("api", what, f"answered {status} after {took:.1f} s", "an answer well inside API Gateway's 29 s")
        if status >= 500:
            c.count("api.5xx")
            if "Unsupported method" in body and "<html" in body.lower():
                c.count("api.5xx_local_http_server")  # http.server's own page: no function was invoked
                what += " [local API emulator, not a function]"
            c.fail("api", what, f"{status} {body[:300]!r}", "a 2xx or a 4xx naming the parameter")
            return
        if method == "HEAD" or status < 400:
            if status < 300 and method == "GET" and "json" not in headers.get("content-type", "json"):
                c.fail("api", what, f"{status} with Content-Type {headers.get('content-type')}", "application/json")
            return
        try:
            doc = json.loads(body)
        except ValueError:
            c.count("api.4xx_not_json")
            c.fail("api", what, f"{status} with a body that is not JSON: {body[:200]!r}", "a JSON error body")
            return
        if not isinstance(doc, dict) or not isinstance(doc.get("message"), str):
            c.fail("api", what, f"{status} {body[:200]!r}", "a JSON object with a message")
            return
        if status in (400, 422) and param and param not in body:
            c.count("api.4xx_unnamed_param")
            c.fail("api", what, f"{status} {body[:250]!r}", f"the body names the parameter {param!r}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, cases))
    c.durations["api: hostile requests"] = time.monotonic() - started


def run_schemathesis(c: Campaign, exe: str, api_url: str, max_examples: int, time_limit: int) -> None:
    started = time.monotonic()
    cmd = [
        exe,
        "run",
        f"{api_url}/openapi.json",
        "--url",
        api_url,
        "--max-examples",
        str(max_examples),
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=time_limit, check=False, cwd=tempfile.gettempdir()
        )
        out = done.stdout + done.stderr
        rc: int | str = done.returncode
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else str(exc.stdout or "")
        rc = "timeout"
    except OSError as exc:
        c.notes.append(f"schemathesis not run: {exc}")
        return
    c.durations["api: schemathesis"] = time.monotonic() - started
    keep = ("___", "- ST", "Received:", "Documented:", "curl ", "❌", "Test cases", "generated", "failures in")
    lines = [ln.strip()[:300] for ln in out.splitlines() if any(k in ln for k in keep)]
    tail = "\n".join(lines[-80:])
    c.notes.append(f"schemathesis exit {rc}; last lines:\n{tail}")
    if rc != 0:
        c.fail("api", "schemathesis", f"exit {rc} (see its output in the notes)", "exit 0: no failed check")


# --------------------------------------------------------------------------- part 3: bank feeds
# Small sheets of our own, in the real formats; values near late-2026 rates.
NATIONAL = {
    "KZT": Decimal("476.12"),
    "KGS": Decimal("87.4325"),
    "TJS": Decimal("9.3367"),
    "UZS": Decimal("12110.62"),
    "TMT": Decimal("3.5"),
}
RUB_PER_USD = Decimal("80.1234")
CBR_NOMINAL = {"KZT": 100, "KGS": 100, "TJS": 10, "UZS": 10000, "TMT": 1}
SOURCES = {"NBK": "KZT", "NBKR": "KGS", "NBT": "TJS", "CBU": "UZS", "CBT": "TMT", "CBR": None}


def sheet(source: str, day: date, usd: Decimal | None = None, rub_per_usd: Decimal = RUB_PER_USD) -> bytes:
    cur = SOURCES[source]
    value = usd if usd is not None else (NATIONAL[cur] if cur else rub_per_usd)
    dmy, iso = day.strftime("%d.%m.%Y"), day.isoformat()
    if source == "NBK":
        return (
            f'<?xml version="1.0" encoding="utf-8"?>\n<rates><generator>Alternate RSS Builder</generator>'
            f"<date>{dmy}</date><item><fullname>ДОЛЛАР США</fullname><title>USD</title>"
            f"<description>{value}</description><quant>1</quant><index></index><change>0.00</change></item>"
            f"<item><title>EUR</title><description>551.2</description><quant>1</quant></item></rates>\n"
        ).encode()
    if source == "NBKR":
        v = str(value).replace(".", ",")
        return (
            f'<?xml version="1.0" encoding="windows-1251" ?>\n<CurrencyRates Name="Daily Exchange Rates" '
            f'Date="{dmy}"><Currency ISOCode="USD"><Nominal>1</Nominal><Value>{v}</Value></Currency>'
            f"</CurrencyRates>\n"
        ).encode("cp1251")
    if source == "NBT":
        return (
            f'<?xml version="1.0" encoding="utf-8" ?>\n<ValCurs Date="{iso}" name="Foreign Currency Market">'
            f'<Valute ID="840"><CharCode>USD</CharCode><Nominal>1</Nominal><Name>US Dollar</Name>'
            f"<Value>{value}</Value></Valute></ValCurs>\n"
        ).encode()
    if source == "CBU":
        return json.dumps(
            [
                {
                    "id": 69,
                    "Code": "840",
                    "Ccy": "USD",
                    "CcyNm_EN": "US Dollar",
                    "Nominal": "1",
                    "Rate": str(value),
                    "Diff": "0.00",
                    "Date": dmy,
                }
            ]
        ).encode()
    if source == "CBT":
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<cbt_currency_rate name="CBT Currency XML">'
            f'\r\n\t<date>{dmy}</date>\r\n\t<rate code="USD">\r\n\t\t<rate_usd>1</rate_usd>\r\n\t\t<multiplier>1'
            f"</multiplier>\r\n\t\t<rate_tmt>{value}</rate_tmt>\r\n\t</rate>\r\n</cbt_currency_rate>\r\n"
        ).encode()
    rows = [("R01235", "USD", 1, value)]
    codes = {"KZT": "R01335", "KGS": "R01370", "TJS": "R01670", "UZS": "R01717", "TMT": "R01710A"}
    for c, nominal in CBR_NOMINAL.items():
        rows.append((codes[c], c, nominal, (RUB_PER_USD / NATIONAL[c] * nominal).quantize(Decimal("0.0001"))))
    valutes = "".join(
        f'<Valute ID="{i}"><CharCode>{c}</CharCode><Nominal>{n}</Nominal><Value>'
        f"{str(v).replace('.', ',')}</Value></Valute>"
        for i, c, n, v in rows
    )
    return (
        f'<?xml version="1.0" encoding="windows-1251"?><ValCurs Date="{dmy}" name="Foreign Currency Market">'
        f"{valutes}</ValCurs>"
    ).encode("cp1251")


@dataclass
class FeedCase:
    name: str
    day: date  # the requested date
    target: str  # the source served badly ("ALL" = every source)
    mode: str  # "sheet" | "trickle" | "cut" | "big" | "html" | "empty"
    sheet_day: date | None = None
    usd: Decimal | None = None
    hostile_values: tuple[str, ...] = ()  # local_per_usd values that must never be stored
    expect_national: bool = False  # all five must be stored from their national banks, not stale


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up on a hostile feed are the point, not an error


class FeedServer:
    """Serves /<case>/<SOURCE>/<YYYY-MM-DD>; counts hits per case."""

    def __init__(self, port: int, cases: dict[str, FeedCase], trickle_s: float) -> None:
        self.cases, self.trickle_s = cases, trickle_s
        self.hits: dict[str, int] = {}
        self.stop_event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.serve(self)

        self.server = QuietServer((HOST, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = h.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] not in self.cases or parts[1] not in SOURCES:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        case, source = self.cases[parts[0]], parts[1]
        self.hits[case.name] = self.hits.get(case.name, 0) + 1
        try:
            day = date.fromisoformat(parts[2])
        except ValueError:
            day = case.day
        hostile = case.target in (source, "ALL")
        body = sheet(source, case.sheet_day or day if hostile else day, case.usd if hostile else None)
        try:
            if not hostile or case.mode == "sheet":
                self.send(h, 200, body)
            elif case.mode == "html":
                self.send(
                    h, 200, b"<!DOCTYPE html><html><body><h1>Technical maintenance</h1></body></html>", "text/html"
                )
            elif case.mode == "empty":
                self.send(h, 200, b"")
            elif case.mode == "big":
                pad = b"<!-- " + b"x" * (5 * 1024 * 1024) + b" -->"
                self.send(h, 200, body.replace(b"<rates>", b"<rates>" + pad, 1))
            elif case.mode == "cut":
                h.send_response(200)
                h.send_header("Content-Type", "text/xml")
                h.send_header("Content-Length", str(len(body) + 5000))
                h.end_headers()
                h.wfile.write(body[: len(body) // 2])
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
            elif case.mode == "trickle":
                h.send_response(200)
                h.send_header("Content-Type", "text/xml")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                started = time.monotonic()
                for i in range(len(body)):
                    if self.stop_event.is_set() or time.monotonic() - started > self.trickle_s:
                        break
                    h.wfile.write(body[i : i + 1])
                    h.wfile.flush()
                    time.sleep(1)
                h.close_connection = True
        except OSError:
            pass  # the client gave up: that is the point

    @staticmethod
    def send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/xml") -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def feed_cases(today: date) -> list[FeedCase]:
    # days well before the recorded ones (and distinct per case), so each case's writes are its own
    d = [today - timedelta(days=n) for n in range(30, 50)]
    big = str(NATIONAL["KZT"] * 100)
    return [
        FeedCase(
            "nbk_months_old",
            d[0],
            "NBK",
            "sheet",
            sheet_day=d[0] - timedelta(days=150),
            usd=Decimal("471.11"),
            hostile_values=("471.11",),
        ),
        FeedCase(
            "nbk_11_days_old",
            d[1],
            "NBK",
            "sheet",
            sheet_day=d[1] - timedelta(days=11),
            usd=Decimal("472.22"),
            hostile_values=("472.22",),
        ),
        FeedCase(
            "cbu_future",
            d[2],
            "CBU",
            "sheet",
            sheet_day=date(2027, 6, 30),
            usd=Decimal("12345.67"),
            hostile_values=("12345.67",),
        ),
        FeedCase(
            "nbkr_tomorrow",
            d[3],
            "NBKR",
            "sheet",
            sheet_day=d[3] + timedelta(days=1),
            usd=Decimal("88.1111"),
            hostile_values=("88.1111",),
        ),
        FeedCase("nbk_usd_x100", d[4], "NBK", "sheet", usd=NATIONAL["KZT"] * 100, hostile_values=(big,)),
        FeedCase("cbr_usd_x100", d[5], "CBR", "sheet", usd=RUB_PER_USD * 100, expect_national=True),
        FeedCase("nbk_html", d[6], "NBK", "html"),
        FeedCase("nbk_empty", d[7], "NBK", "empty"),
        FeedCase("nbk_5mb", d[8], "NBK", "big"),
        FeedCase("nbk_cut", d[9], "NBK", "cut"),
        FeedCase("nbk_trickle", d[10], "NBK", "trickle"),
        FeedCase("all_trickle", d[11], "ALL", "trickle"),
        FeedCase("future_request", today + timedelta(days=2), "NONE", "sheet"),
    ]


def history(api: Api, cur: str, start: date, end: date) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + timedelta(days=365))
        st, body, _ = api.get(f"/rates/{cur}/history?from={cursor}&to={stop}")
        if st == 200:
            items += json.loads(body).get("items", [])
        cursor = stop + timedelta(days=1)
    return items


def run_feeds(
    c: Campaign, api: Api, state_dir: Path, state: dict[str, Any], port: int, trickle_s: float, only: set[str] | None
) -> None:
    started = time.monotonic()
    spec = state["functions"]["RatesIngestFunction"]
    timeout_s = float(spec.get("timeout_s", 60))
    today = date.today()
    cases = [k for k in feed_cases(today) if only is None or k.name in only]
    server = FeedServer(port, {k.name: k for k in cases}, trickle_s)
    env_names = {s: f"RATES_{s}_URL" for s in SOURCES}
    # The documented way first: RATES_*_URL on the invoke command line (README "Running locally").
    probe = FeedCase("override_probe", today - timedelta(days=1), "NONE", "sheet")
    server.cases[probe.name] = probe
    _, _ = invoke_ingest(
        state_dir, probe.day, {v: f"http://{HOST}:{port}/{probe.name}/{s}/%Y-%m-%d" for s, v in env_names.items()}
    )
    override_applies = server.hits.get(probe.name, 0) > 0
    invoke_dir = state_dir
    if not override_applies:
        c.fail(
            "feeds",
            "RATES_*_URL=… python -m steppewire_local invoke RatesIngestFunction …",
            "the overrides were silently ignored (the function fetched the stack's own feed server; our server got"
            " 0 requests) and the command said nothing",
            "the override applies, or the command says why not (issue 8 §2)",
        )
        # Equivalent of a stack started with --parameter-overrides Rates*Url=…: a private copy of the stack's
        # state whose RatesIngestFunction has empty feed URLs, so the command-line variables reach it. Only
        # 127.0.0.1 traffic (RATES_LIVE=1 would make the stack itself fetch the real banks).
        tmp = Path(tempfile.mkdtemp(prefix="hostile-state-"))
        patched = json.loads(json.dumps(state))
        for v in env_names.values():
            patched["functions"]["RatesIngestFunction"]["environment"][v] = ""
        (tmp / "state.json").write_text(json.dumps(patched), encoding="utf-8")
        invoke_dir = tmp
        c.notes.append(f"feeds: invoked through a patched copy of state.json in {tmp} (feed URLs emptied)")
    currencies = list(NATIONAL)
    window = (today - timedelta(days=200), date(2027, 7, 31))
    try:
        for case in cases:
            before = {cur: history(api, cur, *window) for cur in currencies}
            envs = {v: f"http://{HOST}:{port}/{case.name}/{s}/%Y-%m-%d" for s, v in env_names.items()}
            seconds, out = invoke_ingest(invoke_dir, case.day, envs)
            c.count("feeds.cases")
            c.durations[f"feeds: {case.name} (invoke wall time)"] = seconds
            if server.hits.get(case.name, 0) == 0:
                c.fail("feeds", case.name, "the hostile server got no request", "the function fetches our feeds")
            if seconds >= timeout_s:
                c.fail("feeds", case.name, f"the run took {seconds:.1f} s", f"inside the Timeout ({timeout_s:.0f} s)")
            if case.day > today and "has not begun" in out:
                c.count("feeds.future_backfill_refused_with_function_error")
                c.notes.append(
                    f"feeds: {case.name}: a backfill of {case.day} is refused by raising (a Lambda function error, "
                    "counted by the Errors metric behind RatesIngestErrorsAlarm), not by a reported outcome"
                )
            elif '"errorType"' in out or '"errorMessage"' in out:
                c.count("feeds.crashes")
                c.fail("feeds", case.name, f"the function failed: {out[-400:]}", "a run that reports failed sources")
            after = {cur: history(api, cur, *window) for cur in currencies}
            check_rates(c, case, before, after)
            if case.expect_national:
                check_national(c, api, case)
    finally:
        server.close()
        if invoke_dir != state_dir:
            shutil.rmtree(invoke_dir, ignore_errors=True)
    c.durations["feeds: all cases"] = time.monotonic() - started


def invoke_ingest(state_dir: Path, day: date, envs: dict[str, str]) -> tuple[float, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"date": day.isoformat()}, f)
    env = {**os.environ, **envs}
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join(str(root / p) for p in ("shared", "local", "."))
    cmd = [
        sys.executable,
        "-m",
        "steppewire_local",
        "invoke",
        "RatesIngestFunction",
        f.name,
        "--state-dir",
        str(state_dir),
    ]
    t0 = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=150, env=env, cwd=root, check=False)
        out = done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        out = '"errorType": "campaign: invoke did not return within 150 s"'
    finally:
        os.unlink(f.name)
    return time.monotonic() - t0, out


def _dec(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def check_rates(
    c: Campaign, case: FeedCase, before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> None:
    """New or changed items must be right; a hostile value stored by an earlier run (a re-run writes nothing
    new when the stored rates are already the same) is wrong as well."""
    check_new_rates(c, case, before, after)
    for cur, items in before.items():
        for item in items:
            if case.hostile_values and str(item.get("local_per_usd")) in case.hostile_values:
                c.count("feeds.wrong_rates")
                c.fail(
                    "feeds",
                    f"{case.name}: {cur}",
                    f"history holds {json.dumps(item)} (stored by an earlier run)",
                    "the hostile value is never stored",
                )


def check_new_rates(
    c: Campaign, case: FeedCase, before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> None:
    for cur, items in after.items():
        old = {json.dumps(i, sort_keys=True) for i in before[cur]}
        for item in items:
            if json.dumps(item, sort_keys=True) in old:
                continue
            c.count("feeds.rates_written")
            value = str(item.get("local_per_usd"))
            wrong = []
            if item.get("date") != case.day.isoformat():
                wrong.append(f"dated {item.get('date')}, the run asked for {case.day}")
            if case.day > date.today():
                wrong.append("a rate for a day that has not begun")
            if value in case.hostile_values:
                wrong.append(f"the hostile value {value}")
            lpu = _dec(value)
            if lpu is not None and (lpu > NATIONAL[cur] * Decimal("1.2") or lpu < NATIONAL[cur] * Decimal("0.8")):
                wrong.append(f"{value} is more than 20 % from {NATIONAL[cur]}")
            if wrong:
                c.count("feeds.wrong_rates")
                c.fail(
                    "feeds",
                    f"{case.name}: {cur}",
                    f"stored {json.dumps(item)}: " + "; ".join(wrong),
                    "a rate only for the sheet's own valid day, never an implausible value",
                )


def check_national(c: Campaign, api: Api, case: FeedCase) -> None:
    got = {cur: history(api, cur, case.day, case.day) for cur in NATIONAL}
    expected = {"KZT": "NBK", "KGS": "NBKR", "TJS": "NBT", "UZS": "CBU", "TMT": "CBT"}
    for cur, items in got.items():
        if not items or items[0].get("source") != expected[cur]:
            c.fail(
                "feeds",
                f"{case.name}: {cur}",
                f"history for {case.day}: {items}",
                f"stored from {expected[cur]}: one outlier CBR sheet must not overrule five agreeing banks",
            )


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--state-dir", type=Path, default=Path(".local-stack"))
    ap.add_argument("--parts", default="articles,api,feeds")
    ap.add_argument("--report-wait", type=float, default=60, help="seconds to wait for a batch of reports")
    ap.add_argument("--max-requests", type=int, default=1000)
    ap.add_argument("--api-time-limit", type=float, default=300)
    ap.add_argument("--feed-port", type=int, default=8811)
    ap.add_argument("--trickle-seconds", type=float, default=40)
    ap.add_argument("--feed-cases", default="", help="comma-separated subset of the feed cases")
    ap.add_argument("--schemathesis", default="", help="path of a schemathesis executable (optional)")
    ap.add_argument("--st-max-examples", type=int, default=20)
    ap.add_argument("--st-time-limit", type=int, default=240)
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))

    try:
        state: dict[str, Any] = json.loads((args.state_dir / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: no running stack state in {args.state_dir}: {exc}", file=sys.stderr)
        return 2
    api_url, endpoint = state["api_url"].rstrip("/"), state["aws_endpoint"]
    for url in (api_url, endpoint):
        if urllib.parse.urlsplit(url).hostname not in (HOST, "localhost"):
            print(f"error: refusing non-local endpoint {url}", file=sys.stderr)
            return 2
    api = Api(api_url)
    try:
        api.get("/openapi.json")
    except OSError as exc:
        print(f"error: the API at {api_url} does not answer: {exc}", file=sys.stderr)
        return 2
    c = Campaign()
    run_id = time.strftime("%H%M%S")
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=state.get("region", "us-east-1")
    )
    cfg = Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30)
    t0 = time.monotonic()
    section: Callable[[str], None] = lambda name: print(f"== {name} ({time.strftime('%H:%M:%S')})", flush=True)  # noqa: E731
    if "articles" in parts:
        section("part 1: articles")
        s3 = session.client("s3", endpoint_url=endpoint, config=cfg)
        bucket = next(
            r["physical_id"] if isinstance(r, dict) else r
            for k, r in state["resources"].items()
            if k == "ArticlesBucket"
        )
        arts = Articles(c, s3, bucket, api, args.report_wait)
        arts.sqs = session.client("sqs", endpoint_url=endpoint, config=cfg)
        arts.queues = {
            k: (r["physical_id"] if isinstance(r, dict) else r)
            for k, r in state["resources"].items()
            if k in ("PublishDLQ", "IndexDLQ")
        }
        arts.run(run_id)
    if "api" in parts:
        section("part 2: api")
        run_api(c, api, args.max_requests, args.api_time_limit)
        if args.schemathesis:
            run_schemathesis(c, args.schemathesis, api_url, args.st_max_examples, args.st_time_limit)
    if "feeds" in parts:
        section("part 3: feeds")
        only = set(args.feed_cases.split(",")) if args.feed_cases else None
        run_feeds(c, api, args.state_dir, state, args.feed_port, args.trickle_seconds, only)
    c.durations["campaign total"] = time.monotonic() - t0

    print("\n== counts")
    for k in sorted(c.counts):
        print(f"  {k}: {c.counts[k]}")
    print("\n== durations (s)")
    for k, v in c.durations.items():
        print(f"  {k}: {v:.1f}")
    if c.notes:
        print("\n== notes")
        for n in c.notes:
            print("  " + n.replace("\n", "\n    "))
    print(f"\n== findings: {len(c.findings)}")
    for f in c.findings:
        print("  " + f.line())
    return 1 if c.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
