"""Issue 11's "Done when", checked against a running local stack (`make run`) as a reader sees it.

    PYTHONPATH=shared .venv/bin/python tools/search_check.py [--api http://127.0.0.1:3000] [--aws http://127.0.0.1:5000]

Uploads the articles of `tests/fixtures/search/` to the articles bucket, waits until search finds them, then
asks the queries below and prints, for each, the first results and how the answer says it matched: a typo
(`Almatty`), a name's typo (`Ziganshn`), a synonym (`нацбанк`), a query with one word the article lacks and a
question of 300 characters and more. Exits 1 when the intended article is not in the first three results.
Not a test module; needs boto3 (in the project's .venv).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import boto3

ARTICLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "search"
QUESTION = (
    "What did the National Bank of Kazakhstan decide about its base rate this week, what did the governor"
    " say about inflation, and how did the tenge react against the dollar on the stock exchange after the"
    " announcement, and do analysts in Almaty now expect the regulator to cut interest rates in the spring?"
)
CHECKS = [  # query, the title of the article it must find in the first three
    ("Almatty", "Smog returns to Almaty as the heating season starts"),
    ("Almatty smog", "Smog returns to Almaty as the heating season starts"),
    ("Ziganshn", "Ziganshin wins the Bishkek open after a tense final round"),
    ("нацбанк", "Национальный банк Казахстана сохранил базовую ставку на уровне 16,5%"),
    ("нацбанк", "National Bank of Kazakhstan holds the base rate at 16.5 percent"),
    ("Kazakhstan tenge forecast", "Tenge firms against the dollar in a quiet week"),
    (QUESTION, "National Bank of Kazakhstan holds the base rate at 16.5 percent"),
]


def search(api: str, q: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{api}/search?{urllib.parse.urlencode({'q': q})}", timeout=20) as answer:
        found: dict[str, Any] = json.load(answer)
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default="http://127.0.0.1:3000")
    parser.add_argument("--aws", default="http://127.0.0.1:5000")
    args = parser.parse_args()
    s3 = boto3.client(
        "s3", endpoint_url=args.aws, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "articles" in b["Name"].lower())
    for path in sorted(ARTICLES.glob("*.md")):
        s3.put_object(Bucket=bucket, Key=f"incoming/{path.name}", Body=path.read_bytes())
    uploaded = time.monotonic()
    titles = [  # every article findable by its title: indexed (a partial match would find some before)
        next(
            line.removeprefix("title: ")
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("title: ")
        )
        for path in sorted(ARTICLES.glob("*.md"))
    ]
    while time.monotonic() - uploaded < 60 and not all(
        title in [hit["title"] for hit in search(args.api, f'"{title}"')["results"]] for title in titles
    ):
        time.sleep(0.5)
    print(f"{len(titles)} articles searchable after {time.monotonic() - uploaded:.1f} s")
    failures = 0
    for q, title in CHECKS:
        answer = search(args.api, q)
        titles = [hit["title"] for hit in answer["results"]]
        ok = title in titles[:3]
        failures += not ok
        shown = q if len(q) < 60 else f"{q[:57]}... ({len(q)} characters)"
        rank = titles.index(title) + 1 if title in titles else "-"
        print(f"\n{'ok  ' if ok else 'FAIL'} {shown!r} -> {title!r} at {rank}")
        print(
            f"     total {answer['total']}, matched {answer['matched']}, optional {answer['optional']},"
            f" corrections {answer['corrections']}, did_you_mean {answer['did_you_mean']!r}"
        )
        for hit in answer["results"][:3]:
            print(f"     {hit['score']:>9} {hit['title_highlighted']}  missing {hit['missing']}")
    print(f"\n{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
