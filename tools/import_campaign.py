"""A realistic and hostile campaign of WordPress imports against a running local stack.

    PYTHONPATH=shared:local:. .venv/bin/python tools/import_campaign.py --state-dir .local-stack \
        --api-url http://127.0.0.1:3000 [--posts 2000] [--seed 7] [--parts main,reimport,later,hostile,oddities]

Exports come from tools/make_wxr.py (with its manifest of what each post should become). Every export is
uploaded to `imports/` of the stack's articles bucket, as `make import` does, and followed through its
report `reports/imports/<name>.json` (read with boto3 from the stack's own endpoint). Parts:

1. main: an N-post export; wall time and posts/s; then every post checked against its manifest line:
   public (`GET /articles/{slug}` 200, its fields as exported), hidden or scheduled (404, not listed, not
   found by search), rejected (in the report's `rejected` with a reason) or skipped (counted only); the
   slug of each post is read from its source record in the articles table (`SOURCE#wxr:<site>/?p=<id>`).
   While its articles are being indexed an editor's article is uploaded to `incoming/` and the time until
   `GET /search?q=<its unique word>` finds it is measured (target <= 2 s).
2. reimport: the same file again: every post unchanged, revisions stay 1.
3. later: a later export of the site (gzipped) with a few posts edited: exactly those updated (revision 2).
4. hostile: broken files (truncated, DTD entities, XXE, not XML, UTF-16, control character, broken CDATA,
   RSS that is not WXR, Atom, an empty channel, a truncated gzip, a wrong name): each must end in a
   `refused` report (naming line and column where the parser knows them) with nothing imported.
5. oddities: a small export of odd posts (oversize body, duplicate ids, unknown language and status, no
   post id, no dates, markup in titles, scripts in bodies, a broken featured image...): each post ends as
   expected, or is a finding.
6. live: an editor's upload searchable how fast, with the stack idle and during a (re-)import.

Prints findings as it goes and a JSON summary at the end (also written to --out); exits 1 on findings.
Not a test module; needs the project's .venv (boto3) and PYTHONPATH as above.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from steppewire.imports.runs import report_key
from tools.make_wxr import SITE, ExportPlan, write_export

IMPORTS = "imports/"
HOSTILE_SITE = "https://hostile-{}.example.kz"
LIVE_TARGET_SECONDS = 2.0


# ------------------------------------------------------------------------------------------ bookkeeping
@dataclass
class Campaign:
    findings: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    checks: Counter[str] = field(default_factory=Counter)

    def finding(self, part: str, what: str, **detail: Any) -> None:
        """The same finding again counts up and keeps up to five samples, printed once."""
        for known in self.findings:
            if known["part"] == part and known["what"] == what:
                known["count"] += 1
                if len(known["samples"]) < 5:
                    known["samples"].append(detail)
                return
        self.findings.append({"part": part, "what": what, "count": 1, "samples": [detail]})
        print(f"FINDING [{part}] {what} {json.dumps(detail, ensure_ascii=False, default=str)[:600]}", flush=True)

    def check(self, part: str, ok: bool, what: str, **detail: Any) -> bool:
        self.checks[f"{part}:{'ok' if ok else 'failed'}"] += 1
        if not ok:
            self.finding(part, what, **detail)
        return ok


@dataclass
class Stack:
    s3: Any
    dynamodb: Any
    sqs: Any
    bucket: str
    table: str
    bulk_queue: str
    index_queue: str
    api: str

    @classmethod
    def connect(cls, state_dir: Path, api_url: str | None) -> Stack:
        state = json.loads((state_dir / "state.json").read_text(encoding="utf-8"))
        resources = state["resources"]
        options: dict[str, Any] = {
            "endpoint_url": state["aws_endpoint"],
            "region_name": state["region"],
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": Config(retries={"max_attempts": 3}),
        }
        return cls(
            s3=boto3.client("s3", **options),
            dynamodb=boto3.client("dynamodb", **options),
            sqs=boto3.client("sqs", **options),
            bucket=resources["ArticlesBucket"]["physical_id"],
            table=resources["ArticlesTable"]["physical_id"],
            bulk_queue=resources.get("BulkIndexQueue", {}).get("physical_id", ""),
            index_queue=resources["IndexQueue"]["physical_id"],
            api=(api_url or state["api_url"]).rstrip("/"),
        )

    # -- HTTP
    def get(self, path: str, timeout: float = 10.0) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.api + path, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, json.loads(body)
            except ValueError:
                return error.code, body[:200].decode("utf-8", "replace")

    # -- S3 and DynamoDB
    def report(self, key: str) -> dict[str, Any] | None:
        try:
            document: dict[str, Any] = json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
            return document
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def source(self, site: str, post_id: int) -> dict[str, Any] | None:
        key = {"pk": {"S": f"SOURCE#wxr:{site}/?p={post_id}"}, "sk": {"S": "SOURCE"}}
        item = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return {name: next(iter(value.values())) for name, value in item.items()} if item else None

    def article_item(self, slug: str) -> dict[str, Any] | None:
        key = {"pk": {"S": f"ARTICLE#{slug}"}, "sk": {"S": "ARTICLE"}}
        item = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return {name: next(iter(value.values())) for name, value in item.items()} if item else None

    def sources_with_prefix(self, prefix: str) -> list[str]:
        found: list[str] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "ProjectionExpression": "pk",
            "FilterExpression": "begins_with(pk, :prefix)",
            "ExpressionAttributeValues": {":prefix": {"S": prefix}},
        }
        while True:
            page = self.dynamodb.scan(**request)
            found += [item["pk"]["S"] for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def backlog(self) -> dict[str, int]:
        depths = {}
        for name, url in (("bulk_index", self.bulk_queue), ("index", self.index_queue)):
            if not url:
                continue
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            depths[name] = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        return depths


def _now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def import_file(
    stack: Stack,
    data: bytes,
    name: str,
    *,
    timeout: float,
    on_report: Callable[[dict[str, Any]], None] | None = None,
    quiet: bool = False,
) -> tuple[dict[str, Any] | None, float]:
    """Upload `data` as imports/<name> and follow its report to the end: (final report or None, wall s)."""
    key = IMPORTS + name
    uploaded_at = _now_text()
    started = time.monotonic()
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=data)
    seen: dict[str, Any] | None = None
    while time.monotonic() - started < timeout:
        report = stack.report(report_key(key))
        if report is not None and report.get("started_at", "") >= uploaded_at and report != seen:
            seen = report
            if on_report is not None:
                on_report(report)
            if not quiet:
                items = report["items"]
                print(
                    f"  {name}: {time.monotonic() - started:6.1f} s {report['status']} "
                    f"{items['done']}/{items['total']} {report['counts']}",
                    flush=True,
                )
            if report["status"] != "importing":
                return report, time.monotonic() - started
        time.sleep(0.5)
    return seen, time.monotonic() - started


def generate(posts: int, seed: int, changed: int = 0) -> tuple[bytes, list[dict[str, Any]]]:
    out, manifest = io.BytesIO(), io.StringIO()
    write_export(ExportPlan(posts, seed, changed), out, manifest)
    return out.getvalue(), [json.loads(line) for line in manifest.getvalue().splitlines()]


# ----------------------------------------------------------------------------------------- the checks
def check_posts(c: Campaign, stack: Stack, part: str, manifest: list[dict[str, Any]], report: dict[str, Any]) -> None:
    """Every post of the manifest ends public, hidden, scheduled, rejected (with a reason) or skipped."""
    rejected = {line["post_id"]: line for line in report.get("rejected", [])}
    outcomes: Counter[str] = Counter()
    titles: dict[int, str] = {}
    slugs: dict[int, str] = {}
    for line in manifest:
        post_id, expect = int(line["post_id"]), str(line["expect"])
        source = stack.source(SITE, post_id)
        slug = source.get("slug") if source else None
        status, body = stack.get(f"/articles/{urllib.parse.quote(slug)}") if slug else (None, None)
        if expect == "rejected":
            ok = post_id in rejected and bool(rejected[post_id]["reasons"]) and status != 200
            c.check(part, ok, "a post that should be rejected is not listed as rejected", post_id=post_id, got=status)
            outcomes[f"rejected:{'ok' if ok else 'no'}"] += 1
            continue
        if expect == "skipped":
            ok = source is None and post_id not in rejected
            c.check(part, ok, "a trash/auto-draft post was not skipped", post_id=post_id, slug=slug)
            outcomes[f"skipped:{'ok' if ok else 'no'}"] += 1
            continue
        if post_id in rejected:
            c.finding(part, f"a post expected {expect} was rejected", post_id=post_id, reasons=rejected[post_id])
            outcomes[f"{expect}:rejected"] += 1
            continue
        if not slug:
            c.finding(part, f"a post expected {expect} has no source record / slug", post_id=post_id)
            outcomes[f"{expect}:missing"] += 1
            continue
        slugs[post_id] = slug
        if expect == "public":
            ok = status == 200
            outcomes[f"public:{status}"] += 1
            if c.check(part, ok, "a published post is not public", post_id=post_id, slug=slug, status=status) and (
                isinstance(body, dict)
            ):
                titles[post_id] = body["title"]
                check_public_fields(c, stack, part, line, body)
        else:  # hidden or scheduled: never public
            outcomes[f"{expect}:{status}"] += 1
            c.check(
                part,
                status == 404,
                f"a post that must not be public ({expect}: status {line['status']}, password {line['password']}) "
                f"is served by GET /articles/{{slug}}",
                post_id=post_id,
                slug=slug,
                http=status,
                revealed_title=body.get("title") if isinstance(body, dict) else None,
            )
    c.figures[f"{part}.outcomes"] = dict(sorted(outcomes.items()))
    check_translations(c, stack, part, manifest, slugs, titles)
    check_hidden_not_listed_or_found(c, stack, part, manifest, slugs)


def check_public_fields(c: Campaign, stack: Stack, part: str, line: dict[str, Any], body: dict[str, Any]) -> None:
    post_id = line["post_id"]
    c.check(part, body.get("lang") == line["lang"], "wrong language", post_id=post_id, got=body.get("lang"))
    c.check(
        part,
        body.get("category") == line["category"],
        "wrong category (Yoast primary, else first, Uncategorized none)",
        post_id=post_id,
        got=body.get("category"),
        want=line["category"],
    )
    c.check(part, len(body.get("tags", [])) <= 20, "more than 20 tags kept", post_id=post_id)
    c.check(part, body.get("revision") in (1, 2), "odd revision", post_id=post_id, got=body.get("revision"))
    html = body.get("body_html", "")
    for marker in ("<!-- wp:", "[caption", "[gallery", "[embed", "]]]]>", "<![CDATA["):
        if marker in html:
            c.finding(part, f"raw WordPress markup {marker!r} left in body_html", post_id=post_id, slug=body["slug"])


def check_translations(
    c: Campaign, stack: Stack, part: str, manifest: list[dict[str, Any]], slugs: dict[int, str], titles: dict[int, str]
) -> None:
    by_id = {int(line["post_id"]): line for line in manifest}
    checked = missing = 0
    for post_id, line in by_id.items():
        partner = line.get("partner")
        if not partner or post_id not in titles or int(partner) not in titles:
            continue
        checked += 1
        _, body = stack.get(f"/articles/{urllib.parse.quote(slugs[post_id])}")
        translations = body.get("translations") if isinstance(body, dict) else None
        want = {"lang": by_id[int(partner)]["lang"], "slug": slugs[int(partner)]}
        ok = isinstance(translations, list) and any(
            isinstance(t, dict) and t.get("slug") == want["slug"] and t.get("lang") == want["lang"]
            for t in translations
        )
        if not ok:
            missing += 1
            if missing <= 3:
                c.finding(
                    part,
                    "a public post of a Polylang pair has no `translations` entry for its public partner",
                    post_id=post_id,
                    slug=slugs[post_id],
                    partner=partner,
                    want=want,
                    got=translations,
                )
    c.figures[f"{part}.translation_pairs_checked"] = checked
    c.figures[f"{part}.translation_links_missing"] = missing
    c.checks[f"{part}:{'ok' if missing == 0 else 'failed'}"] += 1


def check_hidden_not_listed_or_found(
    c: Campaign, stack: Stack, part: str, manifest: list[dict[str, Any]], slugs: dict[int, str]
) -> None:
    hidden = {
        slugs[int(line["post_id"])]: line
        for line in manifest
        if line["expect"] == "hidden" and int(line["post_id"]) in slugs
    }
    listed: set[str] = set()
    cursor: str | None = None
    for _ in range(200):
        query = "/articles?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, page = stack.get(query)
        if status != 200:
            break
        listed |= {item["slug"] for item in page.get("items", [])}
        cursor = page.get("next_cursor")
        if not cursor:
            break
    in_listing = sorted(set(hidden) & listed)
    c.figures[f"{part}.hidden_posts"] = len(hidden)
    c.figures[f"{part}.hidden_in_listing"] = len(in_listing)
    c.check(part, not in_listing, "hidden posts appear in GET /articles", count=len(in_listing), sample=in_listing[:5])
    found = []
    for slug, line in list(hidden.items())[:15]:
        words = str(line["title"]).split(":")[0]
        status, result = stack.get("/search?" + urllib.parse.urlencode({"q": words, "per_page": 50}))
        if status == 200 and any(hit.get("slug") == slug for hit in result.get("results", [])):
            found.append(slug)
    c.figures[f"{part}.hidden_found_by_search_of_15"] = len(found)
    c.check(part, not found, "hidden posts are found by GET /search", count=len(found), sample=found[:5])


def check_revisions(
    c: Campaign, stack: Stack, part: str, manifest: list[dict[str, Any]], want: Callable[[dict[str, Any]], int]
) -> None:
    wrong = []
    for line in manifest:
        if line["expect"] not in ("public", "hidden", "scheduled"):
            continue
        source = stack.source(SITE, int(line["post_id"]))
        article = stack.article_item(source["slug"]) if source and source.get("slug") else None
        revision = int(article["revision"]) if article else None
        if revision != want(line):
            wrong.append((line["post_id"], revision, want(line)))
    c.figures[f"{part}.revisions_wrong"] = len(wrong)
    c.check(part, not wrong, "revisions are not what the export says", count=len(wrong), sample=wrong[:5])


# ----------------------------------------------------------------------------------- live publish check
def live_publish(c: Campaign, stack: Stack, part: str) -> None:
    word = "".join(random.Random(time.time_ns()).choices("bcdfghjklmnpqrstvwxz", k=6)) + "ovtal"
    name = f"incoming/campaign-live-{word}.md"
    text = (
        f"---\ntitle: Live desk check {word}\ndate: 2026-11-30\n---\n\n"
        f"An editor's story about the {word} corridor, filed while an import was being indexed.\n"
    )
    backlog = stack.backlog()
    started = time.monotonic()
    stack.s3.put_object(Bucket=stack.bucket, Key=name, Body=text.encode())
    uploaded = time.monotonic()
    found_at = None
    while time.monotonic() - uploaded < 120:
        status, result = stack.get("/search?" + urllib.parse.urlencode({"q": word}), timeout=5)
        if status == 200 and result.get("total", 0) > 0:
            found_at = time.monotonic()
            break
        time.sleep(0.05)
    latency = None if found_at is None else round(found_at - uploaded, 2)
    c.figures[f"{part}.live_publish"] = {
        "word": word,
        "upload_seconds": round(uploaded - started, 2),
        "searchable_after_seconds": latency,
        "index_backlog_at_upload": backlog,
        "index_backlog_after": stack.backlog(),
    }
    print(f"  live publish '{word}': searchable after {latency} s (backlog at upload {backlog})", flush=True)
    c.check(
        part,
        latency is not None and latency <= LIVE_TARGET_SECONDS,
        f"an editor's upload during an import was not searchable within {LIVE_TARGET_SECONDS} s",
        latency=latency,
        backlog=backlog,
    )


# ------------------------------------------------------------------------------------------------ parts
def part_main(c: Campaign, stack: Stack, args: argparse.Namespace, data: bytes, manifest: list[dict[str, Any]]) -> None:
    name = f"campaign-{args.seed}-{args.posts}.xml"
    print(f"main: {name}, {len(data):,} bytes, {len(manifest)} posts", flush=True)
    live = threading.Event()
    thread: list[threading.Thread] = []

    def on_report(report: dict[str, Any]) -> None:
        items = report["items"]
        if not live.is_set() and items["total"] and items["done"] >= items["total"] * 0.3:
            live.set()
            worker = threading.Thread(target=live_publish, args=(c, stack, "main"), daemon=True)
            worker.start()
            thread.append(worker)

    report, wall = import_file(stack, data, name, timeout=args.timeout, on_report=on_report)
    for worker in thread:
        worker.join(130)
    drained = wait_for_index(stack, 600)
    if not c.check(
        "main", report is not None and report["status"] == "finished", "the import did not finish", report=report
    ):
        return
    assert report is not None
    posts = sum(value for key, value in report["counts"].items() if key != "skipped")
    c.figures["main.export_bytes"] = len(data)
    c.figures["main.items"] = report["items"]["total"]
    c.figures["main.posts"] = len(manifest)
    c.figures["main.wall_seconds_upload_to_final_report"] = round(wall, 1)
    c.figures["main.report_elapsed_seconds"] = report["elapsed_seconds"]
    c.figures["main.report_posts_per_second"] = report["posts_per_second"]
    c.figures["main.posts_per_second_wall"] = round(posts / wall, 2)
    c.figures["main.index_drained_seconds_after_report"] = drained
    c.figures["main.counts"] = report["counts"]
    expected = Counter(str(line["expect"]) for line in manifest)
    c.figures["main.expected"] = dict(expected)
    imported = report["counts"]["imported"]
    c.check(
        "main",
        imported == expected["public"] + expected["hidden"] + expected["scheduled"],
        "imported count differs from the posts that should be stored",
        imported=imported,
        expected=dict(expected),
    )
    skipped_expected = expected["skipped"] + report["items"]["total"] - len(manifest)
    c.check(
        "main",
        report["counts"]["skipped"] == skipped_expected,
        "skipped count",
        got=report["counts"],
        want=skipped_expected,
    )
    check_posts(c, stack, "main", manifest, report)


def wait_for_index(stack: Stack, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if sum(stack.backlog().values()) == 0:
            return round(time.monotonic() - started, 1)
        time.sleep(1)
    return None


def part_reimport(
    c: Campaign, stack: Stack, args: argparse.Namespace, data: bytes, manifest: list[dict[str, Any]]
) -> None:
    name = f"campaign-{args.seed}-{args.posts}.xml"
    print(f"reimport: {name} again", flush=True)
    report, wall = import_file(stack, data, name, timeout=args.timeout, quiet=True)
    if not c.check(
        "reimport", report is not None and report["status"] == "finished", "re-import did not finish", report=report
    ):
        return
    assert report is not None
    counts = report["counts"]
    stored = sum(1 for line in manifest if line["expect"] in ("public", "hidden", "scheduled"))
    c.figures["reimport.counts"] = counts
    c.figures["reimport.wall_seconds"] = round(wall, 1)
    c.figures["reimport.posts_per_second"] = report["posts_per_second"]
    c.check(
        "reimport",
        counts["unchanged"] == stored and counts["imported"] == 0 and counts["updated"] == 0,
        "re-importing the same export changed something",
        counts=counts,
        stored=stored,
    )
    check_revisions(c, stack, "reimport", manifest, lambda line: 1)
    c.figures["reimport.index_drained_seconds"] = wait_for_index(stack, 600)


def part_later(c: Campaign, stack: Stack, args: argparse.Namespace) -> None:
    data, manifest = generate(args.posts, args.seed, changed=args.changed)
    changed = {int(line["post_id"]) for line in manifest if line["changed"]}
    name = f"campaign-{args.seed}-{args.posts}-later.xml.gz"
    print(f"later: {name}, {len(changed)} posts changed: {sorted(changed)}", flush=True)
    zipped = gzip.compress(data, mtime=0)
    report, wall = import_file(stack, zipped, name, timeout=args.timeout, quiet=True)
    if not c.check(
        "later", report is not None and report["status"] == "finished", "the later export did not finish", report=report
    ):
        return
    assert report is not None
    counts = report["counts"]
    c.figures["later.gzip_bytes"] = len(zipped)
    c.figures["later.counts"] = counts
    c.figures["later.wall_seconds"] = round(wall, 1)
    c.check(
        "later",
        counts["updated"] == len(changed) and counts["imported"] == 0,
        "a later export did not update exactly the changed posts",
        counts=counts,
        changed=len(changed),
    )
    check_revisions(c, stack, "later", manifest, lambda line: 2 if line["changed"] else 1)
    for post_id in sorted(changed)[:3]:
        source = stack.source(SITE, post_id)
        status, body = stack.get(f"/articles/{source['slug']}") if source else (None, None)
        html = body.get("body_html", "") if isinstance(body, dict) else ""
        ok = status == 200 and ("Updated:" in html or "Обновлено:" in html)
        c.check("later", ok, "a changed post does not show its edit", post_id=post_id, status=status)
    c.figures["later.index_drained_seconds"] = wait_for_index(stack, 600)


# ---------------------------------------------------------------------------------------------- hostile
def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def hostile_cases(seed: int) -> list[tuple[str, bytes, tuple[int, int] | None, str]]:
    """(name, bytes, (line, column) where the break is, or None, what the refusal should say)."""
    base, _ = generate(30, seed + 1000)
    cases: list[tuple[str, bytes, tuple[int, int] | None, str]] = []

    def site(case: str, data: bytes) -> bytes:
        return data.replace(SITE.encode(), HOSTILE_SITE.format(case).encode())

    truncated = site("truncated", base)[: len(base) * 6 // 10]
    cases.append(("truncated.xml", truncated, _position(truncated, len(truncated)), "not well-formed"))
    channel_end = base.index(b"\t<item>")

    def channel_of(data: bytes) -> bytes:
        """From <rss to the last channel fact, before the first item."""
        return data[data.index(b"<rss") : data.index(b"\t<item>")]

    laughs = (
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
        + b"".join(
            f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'.encode()
            for n in range(1, 10)
        )
        + b"]>\n"
        + channel_of(site("laughs", base)).replace(b"<title>", b"<title>&lol9;", 1)
        + b"</channel></rss>\n"
    )
    cases.append(("billion-laughs.xml", laughs, (2, 1), "DTD"))
    xxe = (
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + site("xxe", base)[base.index(b"<rss") :].replace(b"<title>", b"<title>&xxe;", 1)
    )
    cases.append(("xxe.xml", xxe, (2, 1), "DTD"))
    cases.append(
        ("not-xml.xml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, (1, 1), "not well-formed")
    )
    cases.append(("plain-text.xml", "Экспорт сайта\nhello, this is not XML\n".encode(), (1, 1), "not well-formed"))
    utf16 = site("utf16", base).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16")
    cases.append(("utf16.xml", utf16, None, "refused, or imported whole"))
    mislabelled = site("utf16bad", base).decode().encode("utf-16")  # says UTF-8, is UTF-16
    cases.append(("utf16-mislabelled.xml", mislabelled, (1, 1), "encoding"))
    control = site("control", base)
    offset = control.index(b"<title><![CDATA[", channel_end) + len(b"<title><![CDATA[") + 3
    control = control[:offset] + b"\x0b" + control[offset:]
    cases.append(("control-char.xml", control, _position(control, offset), "not well-formed"))
    cdata = site("cdata", base)
    offset = cdata.index(b"]]></content:encoded>", channel_end)
    cdata = cdata[:offset] + cdata[offset + 3 :]  # the CDATA section of the first body never closes
    cases.append(("broken-cdata.xml", cdata, None, "not well-formed"))
    rss = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "<channel><title>Tengri News</title><link>https://news.example.kz</link><description>feed</description>\n"
        + "".join(
            f"<item><title>Headline {n}</title><link>https://news.example.kz/{n}</link>"
            f"<pubDate>Mon, 30 Nov 2026 09:0{n}:00 +0000</pubDate><description>Text {n}</description></item>\n"
            for n in range(5)
        )
        + "</channel></rss>\n"
    ).encode()
    cases.append(("rss-feed.xml", rss, None, "not a WordPress export"))
    atom = b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>y</title></entry></feed>\n'
    cases.append(("atom-feed.xml", atom, None, "not a WordPress export"))
    empty = site("empty", base)
    empty = empty[: empty.index(b"\t<item>")] + b"</channel>\n</rss>\n"
    cases.append(("empty-channel.xml", empty, None, "no items"))
    cases.append(("empty-file.xml", b"", None, "empty / not well-formed"))
    zipped = gzip.compress(site("gztrunc", base), mtime=0)
    cases.append(("truncated.xml.gz", zipped[: len(zipped) // 2], None, "gzip"))
    cases.append(("not-gzip.xml.gz", b"\x1f\x8b\x08\x00garbage-that-is-not-deflate" * 10, None, "gzip"))
    version = site("version", base).replace(
        b"<wp:wxr_version>1.2</wp:wxr_version>", b"<wp:wxr_version>banana</wp:wxr_version>"
    )
    cases.append(("bad-wxr-version.xml", version, None, "wxr_version must look like 1.2"))
    cases.append(("export.txt", site("txt", base), None, "named .xml or .xml.gz"))
    # An old Russian site's export in windows-1251, declared so: readable XML, to import whole or refuse clearly.
    cp1251 = site("cp1251", base).decode().replace('encoding="UTF-8"', 'encoding="windows-1251"', 1)
    cases.append(("cp1251.xml", cp1251.encode("cp1251", "replace"), None, "refused, or imported whole"))
    # A CDATA section opened inside the channel and never closed: the rest of the file is its text.
    unclosed = site("unclosed", base)
    unclosed = unclosed.replace(b"<wp:author_login><![CDATA[aigerim]]>", b"<wp:author_login><![CDATA[aigerim", 1)
    cases.append(("unclosed-cdata.xml", unclosed, None, "not well-formed"))
    return cases


def part_hostile(c: Campaign, stack: Stack, args: argparse.Namespace) -> None:
    print("hostile:", flush=True)
    results = {}
    for name, data, where, should in hostile_cases(args.seed):
        report, wall = import_file(stack, data, f"hostile-{name}", timeout=60, quiet=True)
        status = report["status"] if report else None
        error = report.get("error") if report else None
        results[name] = {
            "status": status,
            "error": error,
            "should": should,
            "seconds": round(wall, 1),
            "counts": report and report["counts"],
        }
        print(f"  {name:24} {status} ({wall:.1f} s): {error}", flush=True)
        if name in ("utf16.xml", "cp1251.xml") and status == "finished":
            results[name]["note"] = "accepted: valid XML in a declared encoding, imported"
            results[name]["sample"] = sample_article(stack, HOSTILE_SITE.format(name.removesuffix(".xml")))
            continue
        if not c.check(
            "hostile", status == "refused", f"{name} was not refused", status=status, counts=report and report["counts"]
        ):
            continue
        if report is not None and any(
            report["counts"][key] for key in ("imported", "updated", "unchanged", "rejected")
        ):
            c.finding("hostile", f"{name}: a refused export counted posts", counts=report["counts"])
        if where is not None and error is not None:
            named = f"line {where[0]}, column {where[1]}"
            if f"line {where[0]}" not in error:
                c.finding(
                    "hostile", f"{name}: the refusal does not name where the file breaks", want=named, error=error
                )
            elif named not in error:
                results[name]["column_note"] = f"break at {named}; the report says: {error}"
    leaked = stack.sources_with_prefix("SOURCE#wxr:https://hostile-")
    c.figures["hostile.results"] = results
    accepted = ("hostile-utf16.", "hostile-cp1251.")
    leaked = [key for key in leaked if not any(site in key for site in accepted)]
    c.figures["hostile.posts_stored_from_refused_files"] = len(leaked)
    c.check("hostile", not leaked, "a refused export stored posts", count=len(leaked), sample=leaked[:5])


def sample_article(stack: Stack, site: str) -> dict[str, Any] | None:
    """The title and author of the first Russian post of a hostile site, as the API serves it."""
    for post_id in range(100, 140):
        source = stack.source(site, post_id)
        if source and source.get("slug"):
            status, body = stack.get(f"/articles/{urllib.parse.quote(source['slug'])}")
            if status == 200 and isinstance(body, dict) and body.get("lang") == "ru":
                return {"slug": source["slug"], "title": body.get("title"), "author": body.get("author")}
    return None


# --------------------------------------------------------------------------------------------- oddities
ODD_SITE = "https://odd.example.kz"


def _odd_item(post_id: int | None, title: str, content: str, **extra: str) -> str:
    values = {
        "status": "publish",
        "post_type": "post",
        "post_date": "2025-05-05 15:00:00",
        "post_date_gmt": "2025-05-05 10:00:00",
        "post_name": f"odd-{post_id}",
        "password": "",
        "terms": '<category domain="category" nicename="economy"><![CDATA[Economy]]></category>',
        "meta": "",
        "modified_gmt": "2025-05-06 10:00:00",
    } | extra
    identity = f"<wp:post_id>{post_id}</wp:post_id>" if post_id is not None else ""
    return (
        f"\t<item>\n\t\t<title><![CDATA[{title}]]></title>\n\t\t<link>{ODD_SITE}/2025/05/05/{values['post_name']}/</link>\n"
        f"\t\t<pubDate>Mon, 05 May 2025 10:00:00 +0000</pubDate>\n\t\t<dc:creator><![CDATA[ghost]]></dc:creator>\n"
        f"\t\t<content:encoded><![CDATA[{content}]]></content:encoded>\n\t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n"
        f"\t\t{identity}\n\t\t<wp:post_date><![CDATA[{values['post_date']}]]></wp:post_date>\n"
        f"\t\t<wp:post_date_gmt><![CDATA[{values['post_date_gmt']}]]></wp:post_date_gmt>\n"
        f"\t\t<wp:post_modified_gmt><![CDATA[{values['modified_gmt']}]]></wp:post_modified_gmt>\n"
        f"\t\t<wp:post_name><![CDATA[{values['post_name']}]]></wp:post_name>\n"
        f"\t\t<wp:status><![CDATA[{values['status']}]]></wp:status>\n"
        f"\t\t<wp:post_type><![CDATA[{values['post_type']}]]></wp:post_type>\n"
        f"\t\t<wp:post_password><![CDATA[{values['password']}]]></wp:post_password>\n"
        f"\t\t{values['terms']}\n{values['meta']}\t</item>\n"
    )


def oddities() -> tuple[bytes, dict[int, tuple[str, str]]]:
    """A small export of odd posts and (post id -> (expected outcome, why))."""
    text = "The National Bank kept its rate.\n\nMarkets calmed in Almaty."
    items: list[str] = []
    expect: dict[int, tuple[str, str]] = {}

    def add(post_id: int, outcome: str, why: str, title: str = "", content: str = text, **extra: str) -> None:
        items.append(_odd_item(post_id, title or f"Odd post {post_id}: {why}", content, **extra))
        expect[post_id] = (outcome, why)

    add(1, "rejected", "body over the queue message size", content="Long text. " * 30_000)
    add(2, "public", "first of two items with the same post id", content=text + "\n\nFirst copy.")
    items.append(_odd_item(2, "Odd post 2: second copy", text + "\n\nSecond copy.", modified_gmt="2025-05-07 10:00:00"))
    add(
        3,
        "rejected",
        "unknown language term kk",
        terms='<category domain="language" nicename="kk"><![CDATA[Қазақша]]></category>',
    )
    add(4, "hidden", "unknown status 'inherit' on a post", status="inherit")
    add(5, "hidden", "unknown status 'wc-custom' on a post", status="wc-custom")
    items.append(_odd_item(None, "Odd post without an id", text))
    add(6, "rejected", "both dates null", post_date="0000-00-00 00:00:00", post_date_gmt="0000-00-00 00:00:00")
    add(7, "public", "markup in title", title="<b>Bold</b> &amp; <i>italic</i> title")
    add(
        8,
        "public",
        "script and onerror in the body",
        content='<script>alert(1)</script><img src=x onerror="alert(1)">\n\nSafe text.',
    )
    add(
        9,
        "public",
        "thumbnail id of no attachment",
        meta="\t\t<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[99999]]></wp:meta_value></wp:postmeta>\n",
    )
    add(10, "public", "invalid percent-encoding in post_name", post_name="%ff%fe-%d1")
    add(11, "public", "post_name only punctuation", post_name="%e2%80%94")
    add(
        12,
        "public",
        "Yoast primary category of no term",
        meta="\t\t<wp:postmeta><wp:meta_key><![CDATA[_yoast_wpseo_primary_category]]></wp:meta_key><wp:meta_value><![CDATA[424242]]></wp:meta_value></wp:postmeta>\n",
    )
    add(13, "public", "an unclosed <div> and a stray </p>", content="<div>Open block\n\nline two</p> and more")
    add(14, "public", "body of one nbsp entity and text", content="&nbsp;Text after an entity.")
    add(15, "rejected", "body of whitespace only", content="  \n\n  ")
    add(
        16,
        "hidden",
        "status publish dated 2099: scheduled, so 404 until then",
        post_date_gmt="2099-01-01 00:00:00",
        post_date="2099-01-01 05:00:00",
    )
    add(17, "rejected", "title of 417 characters (limit 300)", title="Very long headline " * 22)
    add(18, "public", "slug 300 characters", post_name="long-" * 60)
    add(
        19,
        "public",
        "iframe embed and [audio] shortcode",
        content='<iframe src="https://www.youtube.com/embed/x"></iframe>\n\n[audio mp3="https://odd.example.kz/a.mp3"][/audio]\n\nText.',
    )
    add(
        20,
        "public",
        "category with entity name",
        terms='<category domain="category" nicename="oil-gas"><![CDATA[Oil &amp; Gas]]></category>',
    )
    header = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0"\n\txmlns:excerpt="https://wordpress.org/export/1.2/excerpt/"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:wp="https://wordpress.org/export/1.2/"\n>\n<channel>\n\t<title>Odd</title>\n\t<language>ru-RU</language>\n'
        f"\t<wp:wxr_version>1.2</wp:wxr_version>\n\t<wp:base_site_url>{ODD_SITE}</wp:base_site_url>\n"
    )
    return (header + "".join(items) + "</channel>\n</rss>\n").encode(), expect


def part_oddities(c: Campaign, stack: Stack, args: argparse.Namespace) -> None:
    data, expect = oddities()
    print(f"oddities: {len(expect)} odd posts", flush=True)
    report, wall = import_file(stack, data, "campaign-oddities.xml", timeout=300, quiet=True)
    if not c.check(
        "oddities", report is not None and report["status"] == "finished", "odd export did not finish", report=report
    ):
        return
    assert report is not None
    c.figures["oddities.counts"] = report["counts"]
    rejected = {line["post_id"]: line["reasons"] for line in report.get("rejected", [])}
    notes = {line["post_id"]: line["reasons"] for line in report.get("notes", [])}
    results = {}
    for post_id, (outcome, why) in expect.items():
        source = stack.source(ODD_SITE, post_id)
        slug = source.get("slug") if source else None
        status, body = stack.get(f"/articles/{urllib.parse.quote(slug)}") if slug else (None, None)
        got = "rejected" if post_id in rejected else ("public" if status == 200 else "hidden" if slug else "absent")
        results[post_id] = {
            "why": why,
            "want": outcome,
            "got": got,
            "slug": slug,
            "reasons": rejected.get(post_id) or notes.get(post_id),
        }
        if status == 200 and isinstance(body, dict):
            results[post_id]["title"] = body.get("title")
            results[post_id]["category"] = body.get("category")
            results[post_id]["image"] = body.get("image")
            results[post_id]["body_start"] = body.get("body_html", "")[:160]
            html = body.get("body_html", "")
            if "<script" in html or "onerror" in html or "<iframe" in html.lower() and "youtube" not in html:
                c.finding("oddities", "unsafe markup served", post_id=post_id, body=html[:200])
        c.check(
            "oddities",
            got == outcome,
            f"odd post {post_id} ({why}): wanted {outcome}, got {got}",
            detail=results[post_id],
        )
    c.figures["oddities.results"] = results


def part_live(c: Campaign, stack: Stack, args: argparse.Namespace) -> None:
    """Editors' uploads searchable how fast: three with the stack idle, then three during a fresh import."""
    print("live: idle baseline", flush=True)
    for _ in range(3):
        live_publish(c, stack, "live.idle")
        time.sleep(2)
    # Fresh posts (their own site, so new identities) make the bulk index do real work meanwhile.
    data = generate(min(args.posts, 400), args.seed)[0].replace(
        SITE.encode(), f"https://live-{time.time_ns()}.example.kz".encode()
    )
    samples: list[float] = []

    def on_report(report: dict[str, Any]) -> None:
        items = report["items"]
        if items["total"] and items["done"] >= items["total"] * (0.2 + 0.25 * len(samples)) and len(samples) < 3:
            samples.append(time.monotonic())
            live_publish(c, stack, f"live.during_import_{len(samples)}")

    print("live: during an import", flush=True)
    import_file(
        stack, data, f"campaign-live-load-{args.seed}.xml", timeout=args.timeout, on_report=on_report, quiet=True
    )


# ------------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".local-stack"))
    parser.add_argument("--api-url", default=None, help="the stack's API (default: from its state file)")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--changed", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for one import")
    parser.add_argument("--parts", default="main,reimport,later,hostile,oddities,live")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON summary here too")
    args = parser.parse_args(argv)
    try:
        stack = Stack.connect(args.state_dir, args.api_url)
        stack.s3.head_bucket(Bucket=stack.bucket)
    except (OSError, ClientError, KeyError) as error:
        print(f"error: no reachable local stack in {args.state_dir}: {error}", file=sys.stderr)
        return 2
    parts = set(args.parts.split(","))
    campaign = Campaign()
    started = time.monotonic()
    data, manifest = generate(args.posts, args.seed)
    if "main" in parts:
        part_main(campaign, stack, args, data, manifest)
    if "reimport" in parts:
        part_reimport(campaign, stack, args, data, manifest)
    if "later" in parts:
        part_later(campaign, stack, args)
    if "hostile" in parts:
        part_hostile(campaign, stack, args)
    if "oddities" in parts:
        part_oddities(campaign, stack, args)
    if "live" in parts:
        part_live(campaign, stack, args)
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "checks": dict(sorted(campaign.checks.items())),
        "figures": campaign.figures,
        "findings": campaign.findings,
    }
    text = json.dumps(summary, ensure_ascii=False, indent=1, default=str)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 1 if campaign.findings else 0


if __name__ == "__main__":
    sys.exit(main())
