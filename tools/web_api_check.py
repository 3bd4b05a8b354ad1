"""Issue 10's "Done when", checked against a running local stack (`make run`) as a consumer sees it.

    PYTHONPATH=shared .venv/bin/python tools/web_api_check.py [--api http://127.0.0.1:3000] [--aws http://127.0.0.1:5000]

Uploads four articles to the articles bucket (published a minute ago, 47 hours ago, 50 hours ago, and
scheduled in three days), then checks and prints:
- how soon the just-published article is in the RSS feed; the feeds through feedparser (well-formed,
  never the scheduled article); the news sitemap holding exactly the last 48 hours;
- an ETag revalidated to 304; the ticker's expiry against the ingest schedule; a CORS preflight and a
  cross-origin GET; gzip; HEAD;
- `/rates/convert` against the same arithmetic done by hand from `/rates`;
- one request and response of each kind (headers that matter, the start of the body).
Exits 1 when a check fails. Not a test module; needs boto3 and feedparser (both in the project's .venv) and
`steppewire` on the path (the newsroom's time zone).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import feedparser

from steppewire.newsroom import NEWSROOM_TIMEZONE

HEADERS = (
    "Content-Type",
    "Cache-Control",
    "ETag",
    "Last-Modified",
    "Vary",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Max-Age",
    "X-Content-Type-Options",
    "Content-Encoding",
    "Content-Length",
)
OTHER_ORIGIN = "http://127.0.0.1:8080"


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.failures: list[str] = []

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
        request = urllib.request.Request(self.base + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def show(self, title: str, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
        status, answer_headers, body = self.request(path, method, headers)
        print(f"\n### {title}\n{method} {path} {headers or ''}\n-> {status}")
        for name in HEADERS:
            if name in answer_headers:
                print(f"   {name}: {answer_headers[name]}")
        if body and answer_headers.get("Content-Encoding") != "gzip":
            print("   body:", body[:400].decode("utf-8", "replace").replace("\n", " "))
        return status, answer_headers, body

    def check(self, ok: bool, what: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)


def upload_articles(aws: str, now: datetime) -> dict[str, str]:
    s3 = boto3.client("s3", endpoint_url=aws, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "articles" in b["Name"].lower())
    stamp = int(time.time())
    when = {
        "h47": now - timedelta(hours=47),
        "h50": now - timedelta(hours=50),
        "future": now + timedelta(days=3),
        "fresh": now - timedelta(minutes=1),  # last: the feed's latency is timed from its upload
    }
    slugs = {}
    for name, moment in when.items():
        slug = slugs[name] = f"{name}-{stamp}"
        text = (
            f"---\ntitle: Check {name}\ndate: {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}\nslug: {slug}\n"
            f"category: Economy\ncountry: Kazakhstan\ntags: [tenge]\n---\n\nThe {slug} story about the tenge.\n"
        )
        s3.put_object(Bucket=bucket, Key=f"incoming/{slug}.md", Body=text.encode())
    return slugs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default="http://127.0.0.1:3000")
    parser.add_argument("--aws", default="http://127.0.0.1:5000")
    args = parser.parse_args()
    api = Api(args.api)
    now = datetime.now(UTC)
    slugs = upload_articles(args.aws, now)
    uploaded = time.monotonic()
    while time.monotonic() - uploaded < 30 and slugs["fresh"].encode() not in api.request("/feeds/en.rss")[2]:
        time.sleep(0.2)
    latency = time.monotonic() - uploaded
    api.check(latency < 10, f"the just-published article is in /feeds/en.rss after {latency:.2f} s")
    for path in ("/feeds/en.rss", "/feeds/en.atom", "/feeds/en/tag/tenge.rss"):
        feed = feedparser.parse(api.request(path)[2])
        links = [entry.link for entry in feed.entries]
        api.check(not feed.bozo and bool(links), f"{path}: well-formed for feedparser, {len(links)} entries")
        api.check(not any(slugs["future"] in link for link in links), f"{path}: the scheduled article is absent")
    sitemap = api.request("/sitemaps/news.xml")[2]
    present = {name: slug.encode() in sitemap for name, slug in slugs.items()}
    api.check(
        present == {"h47": True, "h50": False, "future": False, "fresh": True},
        f"/sitemaps/news.xml holds the last 48 hours only: {present}",
    )
    _, feed_headers, _ = api.show("RSS feed", "/feeds/en.rss")
    status, _, body = api.show("RSS feed revalidated", "/feeds/en.rss", headers={"If-None-Match": feed_headers["ETag"]})
    api.check(status == 304 and not body, "a second GET with the ETag gets 304 and no body")
    api.show("news sitemap", "/sitemaps/news.xml")
    _, ticker, _ = api.show("ticker", "/rates")
    max_age = int(ticker["Cache-Control"].split("max-age=")[1].split(",")[0])
    expires = (now + timedelta(seconds=max_age)).astimezone(NEWSROOM_TIMEZONE)
    api.check(max_age <= 15 * 3600, f"/rates expires at {expires:%Y-%m-%d %H:%M} Almaty (by the next ingestion)")
    status, _, _ = api.show("ticker revalidated", "/rates", headers={"If-Modified-Since": ticker["Last-Modified"]})
    api.check(status == 304, "the ticker revalidates by its Last-Modified")
    preflight = {"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "GET"}
    status, cors, _ = api.show("preflight", "/rates", method="OPTIONS", headers=preflight)
    api.check(status == 200 and "Access-Control-Allow-Origin" in cors, "a preflight from another origin is answered")
    _, cross_origin, _ = api.show("cross-origin GET", "/rates", headers={"Origin": OTHER_ORIGIN})
    api.check("Access-Control-Allow-Origin" in cross_origin, "a cross-origin GET is readable by the page")
    api.show("gzip", "/rates", headers={"Accept-Encoding": "gzip"})
    api.show("HEAD", f"/articles/{slugs['fresh']}", method="HEAD")
    _, _, converted = api.show("convert", "/rates/convert?from=KZT&to=UZS&amount=150000")
    conversion = json.loads(converted)
    _, _, cross = api.show("the rate it used, from /rates", f"/rates?base=UZS&symbols=KZT&date={conversion['date']}")
    by_hand = Decimal("150000") * Decimal(json.loads(cross)["items"][0]["rate"])
    api.check(by_hand == Decimal(conversion["result"]), f"convert {conversion['result']} = 150000 x rate = {by_hand}")
    api.show("carried forward", "/rates?base=EUR&symbols=KZT&date=2026-11-29")
    api.show("history by week", "/rates/KZT/history?from=2026-11-01&to=2026-11-30&group=week")
    api.show("history as CSV", "/rates/KZT/history?from=2026-11-01&to=2026-11-30", headers={"Accept": "text/csv"})
    api.show("currencies", "/currencies?lang=ru")
    api.show("sources", "/rates/sources")
    api.show("an error", "/rates/convert?from=KZT&to=UZS&amount=-3")
    print(f"\n{len(api.failures)} failed" + (": " + "; ".join(api.failures) if api.failures else ""))
    return 1 if api.failures else 0


if __name__ == "__main__":
    sys.exit(main())
