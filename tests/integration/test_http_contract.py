"""HTTP as browsers and CDNs expect it, through the real handlers on the template-driven stack: CORS
preflight, revalidation to 304, HEAD, gzip, and the headers every answer carries."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.aws import dynamodb_client
from steppewire.rates.repository import DynamoRatesRepository
from steppewire.rates.ticker import DailyRate, TickerEntry
from steppewire_local import LocalStack
from tests.integration.test_api_contract import PROPERTY, dates, query

ROOT = Path(__file__).resolve().parents[2]
OTHER_ORIGIN = "http://127.0.0.1:8080"


@pytest.fixture
def newsroom(deploy: Callable[..., LocalStack]) -> LocalStack:
    stack = deploy()
    body = "---\ntitle: Tenge steadies in Almaty\ndate: 2026-11-20\ntags: [tenge]\n---\n\n" + "Markets calmed. " * 200
    boto3.client("s3").put_object(Bucket=stack.physical_id("ArticlesBucket"), Key="incoming/a.md", Body=body.encode())
    stack.drain()
    rates = DynamoRatesRepository(dynamodb_client(), stack.physical_id("RatesTable"))
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for currency, quote in [("KZT", "472.31"), ("KGS", "87.45"), ("TJS", "10.92"), ("UZS", "12149.84")]:
        previous = DailyRate(currency, date(2026, 11, 19), Decimal(quote) + 1, "NBK")
        current = DailyRate(currency, date(2026, 11, 20), Decimal(quote), "NBK")
        rates.put_rate(previous, now)
        rates.put_rate(current, now)
        rates.put_ticker_entry(TickerEntry(current=current, previous=previous), now)
    return stack


def test_a_cacheable_answer_revalidates_to_304_without_a_body(newsroom: LocalStack) -> None:
    for path in [
        "/rates",
        "/rates/KZT/history?from=2026-11-01&to=2026-11-20",
        "/articles",
        "/articles/tenge-steadies-in-almaty",
        "/search?q=tenge",
        "/openapi.json",
        # Answers that are not JSON are validated the same way: XML feeds and sitemaps, CSV.
        "/feeds/en.rss",
        "/feeds/en/tag/tenge.atom",
        "/sitemaps/news.xml",
        "/sitemaps/index.xml",
        "/sitemaps/2026-11.xml",
        "/rates/KZT/history?from=2026-11-01&to=2026-11-20&group=week&format=csv",
        "/rates?base=KZT&symbols=KGS,UZS&date=2026-11-20",
        "/rates/convert?from=KZT&to=KGS&amount=1000",
        "/currencies",
        "/rates/sources",
    ]:
        first = newsroom.api_request("GET", path)
        assert first.status == 200, (path, first.body_text)
        etag = first.header("ETag")
        assert etag and etag.startswith('"') and etag.endswith('"'), (path, etag)  # strong
        assert "stale-if-error=" in (first.header("Cache-Control") or ""), path
        again = newsroom.api_request("GET", path, headers={"If-None-Match": etag})
        assert again.status == 304 and again.body == b"", path
        assert again.header("ETag") == etag
        # the same freshness, counted down: an answer that expires at a set time may be a second older
        (rest, age), (rest_first, age_first) = (_freshness(r.header("Cache-Control")) for r in (again, first))
        assert rest == rest_first and 0 <= age_first - age <= 1, path
        assert again.header("Content-Type") == first.header("Content-Type"), path  # a cache keeps the 200's
        other = newsroom.api_request("GET", path, headers={"If-None-Match": '"something-else"'})
        assert other.status == 200 and other.body == first.body, path


def _freshness(cache_control: str | None) -> tuple[str, int]:
    """A Cache-Control value's directives but max-age, and its max-age (-1 without one)."""
    directives = (cache_control or "").split(", ")
    ages = [int(d.removeprefix("max-age=")) for d in directives if d.startswith("max-age=")]
    return ", ".join(d for d in directives if not d.startswith("max-age=")), ages[0] if ages else -1


def test_an_article_is_valid_by_slug_and_revision_and_dated_by_its_last_change(newsroom: LocalStack) -> None:
    first = newsroom.api_request("GET", "/articles/tenge-steadies-in-almaty")
    last_modified = first.header("Last-Modified")
    assert last_modified and last_modified.endswith(" GMT")
    assert (
        newsroom.api_request(
            "GET", "/articles/tenge-steadies-in-almaty", headers={"If-Modified-Since": last_modified}
        ).status
        == 304
    )
    # A new revision: the old ETag and date no longer match.
    body = "---\ntitle: Tenge steadies in Almaty\ndate: 2026-11-20\n---\n\nRevised."
    boto3.client("s3").put_object(
        Bucket=newsroom.physical_id("ArticlesBucket"), Key="incoming/a.md", Body=body.encode()
    )
    newsroom.drain()
    revised = newsroom.api_request(
        "GET", "/articles/tenge-steadies-in-almaty", headers={"If-None-Match": first.header("ETag") or ""}
    )
    assert revised.status == 200 and revised.json()["revision"] == 2
    assert revised.header("ETag") != first.header("ETag")


def test_a_preflight_from_another_origin_is_answered_with_the_cors_headers(newsroom: LocalStack) -> None:
    preflight = newsroom.api_request(
        "OPTIONS",
        "/rates/KZT/history",
        headers={
            "Origin": OTHER_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert 200 <= preflight.status < 300
    assert preflight.header("Access-Control-Allow-Origin") == "*"
    assert {"GET", "HEAD", "OPTIONS"} <= set((preflight.header("Access-Control-Allow-Methods") or "").split(","))
    assert "if-none-match" in (preflight.header("Access-Control-Allow-Headers") or "").lower()
    assert int(preflight.header("Access-Control-Max-Age") or 0) > 0
    answer = newsroom.api_request("GET", "/rates", headers={"Origin": OTHER_ORIGIN})
    assert answer.header("Access-Control-Allow-Origin") == "*"
    assert "ETag" in (answer.header("Access-Control-Expose-Headers") or "")


def test_one_allowed_origin_is_the_template_parameter(deploy: Callable[..., LocalStack]) -> None:
    stack = deploy({"CorsAllowOrigin": "https://www.steppewire.example"})
    preflight = stack.api_request("OPTIONS", "/rates", headers={"Origin": "https://www.steppewire.example"})
    assert preflight.header("Access-Control-Allow-Origin") == "https://www.steppewire.example"
    answer = stack.api_request("GET", "/rates", headers={"Origin": "https://www.steppewire.example"})
    assert answer.header("Access-Control-Allow-Origin") == "https://www.steppewire.example"
    assert answer.header("Vary") == "Accept-Encoding, Origin"


def test_a_gzip_answer_decodes_to_the_same_json(newsroom: LocalStack) -> None:
    for path in ["/articles/tenge-steadies-in-almaty", "/openapi.json"]:  # both over the Api's 1 KiB
        plain = newsroom.api_request("GET", path)
        zipped = newsroom.api_request("GET", path, headers={"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
        assert plain.header("Content-Encoding") is None
        assert zipped.header("Content-Encoding") == "gzip" and zipped.header("Vary") == "Accept-Encoding"
        assert len(zipped.body) < len(plain.body)
        assert json.loads(gzip.decompress(zipped.body)) == plain.json()
        assert zipped.header("ETag") == plain.header("ETag")
    refused = newsroom.api_request("GET", "/openapi.json", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.header("Content-Encoding") is None
    small = newsroom.api_request("GET", "/rates/XXX/history", headers={"Accept-Encoding": "gzip"})
    assert small.header("Content-Encoding") is None


def test_head_is_get_without_the_body(newsroom: LocalStack) -> None:
    get = newsroom.api_request("GET", "/articles")
    head = newsroom.api_request("HEAD", "/articles")
    assert head.status == 200 and head.body == b""
    assert head.header("ETag") == get.header("ETag") and head.header("Cache-Control") == get.header("Cache-Control")
    assert newsroom.api_request("HEAD", "/articles/no-such-article").status == 404


def test_errors_are_not_stored_and_every_answer_says_nosniff(newsroom: LocalStack) -> None:
    for path, status in [
        ("/rates/XXX/history", 404),
        ("/rates/KZT/history?from=soon", 422),
        ("/search?q=tenge&from=2026-12-01&to=2026-11-01", 400),
    ]:
        answer = newsroom.api_request("GET", path)
        assert answer.status == status, (path, answer.body_text)
        assert answer.header("Cache-Control") == "no-store"
        assert answer.header("ETag") is None
        assert answer.header("X-Content-Type-Options") == "nosniff"
        assert answer.header("Access-Control-Allow-Origin") == "*"  # a browser can read why
    assert newsroom.api_request("GET", "/rates").header("X-Content-Type-Options") == "nosniff"


def test_the_ticker_is_dated_by_its_last_change_and_a_change_moves_the_date(newsroom: LocalStack) -> None:
    first = newsroom.api_request("GET", "/rates")
    assert first.header("Last-Modified") == "Fri, 20 Nov 2026 00:00:00 GMT"  # when its entries were written
    assert first.json()["updated_at"].startswith("2026-11-20T00:00:00")
    again = newsroom.api_request("GET", "/rates", headers={"If-Modified-Since": first.header("Last-Modified") or ""})
    assert again.status == 304
    rates = DynamoRatesRepository(dynamodb_client(), newsroom.physical_id("RatesTable"))
    current = DailyRate("KZT", date(2026, 11, 21), Decimal("470.10"), "NBK")
    rates.put_ticker_entry(TickerEntry(current=current, previous=None), datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    changed = newsroom.api_request("GET", "/rates", headers={"If-Modified-Since": first.header("Last-Modified") or ""})
    assert changed.status == 200 and changed.header("Last-Modified") == "Sat, 21 Nov 2026 06:00:00 GMT"
    # Cross rates are not dated (the stored rates' write times are not read): ETag only.
    assert newsroom.api_request("GET", "/rates?base=KZT").header("Last-Modified") is None


def test_the_ticker_expires_no_later_than_the_next_ingestion(newsroom: LocalStack) -> None:
    cache_control = newsroom.api_request("GET", "/rates").header("Cache-Control") or ""
    max_age = int(cache_control.split("max-age=")[1].split(",")[0])
    # Hourly runs at :05 from 08:05 to 18:05 Almaty, plus the settle time; and never past midnight.
    assert 0 <= max_age <= 14 * 3600
    closed = newsroom.api_request("GET", "/rates/KZT/history?from=2026-11-01&to=2026-11-20").header("Cache-Control")
    assert closed is not None and "max-age=86400" in closed


def max_age(answer: Any) -> int:
    return int((answer.header("Cache-Control") or "").split("max-age=")[1].split(",")[0])


def test_each_route_is_as_fresh_as_what_it_serves(newsroom: LocalStack) -> None:
    def cache_control(path: str) -> str:
        answer = newsroom.api_request("GET", path)
        assert answer.status == 200, (path, answer.body_text)
        return answer.header("Cache-Control") or ""

    # A just-published article is in the feeds and the news sitemap within a minute, through a CDN too.
    for path in ["/feeds/en.rss", "/feeds/ru/category/economy.atom", "/sitemaps/news.xml"]:
        assert cache_control(path).startswith("public, max-age=30, stale-while-revalidate=30,"), path
    listing = cache_control("/articles")
    assert cache_control("/sitemaps/index.xml") == listing
    assert cache_control(f"/sitemaps/{datetime.now(UTC):%Y-%m}.xml") == listing  # this month still grows
    assert "max-age=86400" in cache_control("/sitemaps/2026-11.xml")  # a closed month
    # Rates of a past date are closed; the latest last until the next ingestion (at most 14 hours off).
    for closed in [
        "/rates?base=KZT&symbols=KGS,UZS&date=2026-11-20",
        "/rates/convert?from=KZT&to=KGS&amount=1000&date=2026-11-20",
        "/rates/KZT/history?from=2026-11-01&to=2026-11-20&group=month&format=csv",
    ]:
        assert "max-age=86400" in cache_control(closed), closed
    for latest in ["/rates?base=KZT&symbols=UZS", "/rates/convert?from=KZT&to=KGS&amount=1000", "/currencies?lang=ru"]:
        answer = newsroom.api_request("GET", latest)
        assert answer.status == 200 and 0 <= max_age(answer) <= 14 * 3600, latest
        assert abs(max_age(answer) - max_age(newsroom.api_request("GET", "/rates"))) <= 2  # as the ticker's
    assert cache_control("/rates/sources").startswith("public, max-age=60,")


def test_a_csv_history_is_negotiated_by_accept_and_varies_on_it(newsroom: LocalStack) -> None:
    path = "/rates/KZT/history?from=2026-11-01&to=2026-11-20"
    as_json = newsroom.api_request("GET", path)
    as_csv = newsroom.api_request("GET", path, headers={"Accept": "text/csv"})
    assert as_csv.status == 200 and as_csv.body_text.startswith("period,date,currency,rate")
    assert (as_csv.header("Content-Type") or "").startswith("text/csv")
    assert as_csv.header("X-Content-Type-Options") == "nosniff"
    for answer in (as_json, as_csv):
        assert answer.header("Vary") == "Accept-Encoding, Accept"  # a cache keeps the two apart
    assert as_csv.header("ETag") != as_json.header("ETag")
    again = newsroom.api_request("GET", path, headers={"Accept": "text/csv", "If-None-Match": as_csv.header("ETag")})
    assert again.status == 304 and again.body == b""
    assert newsroom.api_request("GET", path, headers={"If-None-Match": as_csv.header("ETag") or ""}).status == 200


def test_every_get_route_of_the_template_has_its_head_twin(newsroom: LocalStack) -> None:
    routes = {(route.method, route.resource) for route in newsroom.routes}
    gets = {resource for method, resource in routes if method == "GET"}
    assert gets and all(("HEAD", resource) in routes for resource in gets), sorted(gets)
    assert all(("OPTIONS", resource) in routes for resource in gets)


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@PROPERTY
@given(
    params=query(
        {"q": st.sampled_from(["tenge", "almat", "markets calmed"])},
        page=st.integers(min_value=0, max_value=3).map(str),
        sort=st.sampled_from(["relevance", "date"]),
        **{"from": dates, "to": dates},
    ),
    if_none_match=st.none() | header_text | st.just("*"),
    if_modified_since=st.none() | header_text | st.just("Fri, 20 Nov 2026 09:00:00 GMT"),
    accept_encoding=st.none() | header_text | st.sampled_from(["gzip", "gzip;q=0", "br, gzip;q=0.5", "*"]),
)
def test_any_request_gets_consistent_caching_headers(
    newsroom: LocalStack,
    params: dict[str, str],
    if_none_match: str | None,
    if_modified_since: str | None,
    accept_encoding: str | None,
) -> None:
    sent = {"If-None-Match": if_none_match, "If-Modified-Since": if_modified_since, "Accept-Encoding": accept_encoding}
    headers = {name: value for name, value in sent.items() if value is not None}
    path = f"/search?{urlencode(params)}"
    answer = newsroom.api_request("GET", path, headers=headers)
    assert answer.status < 500, answer.body_text
    assert answer.header("X-Content-Type-Options") == "nosniff"
    if answer.status >= 400:
        assert answer.header("Cache-Control") == "no-store" and answer.header("ETag") is None
        return
    assert answer.status in (200, 304)
    assert answer.status == 200 or answer.body == b""
    assert answer.status == 304 or if_none_match != "*"  # * matches any current answer
    etag = answer.header("ETag")
    assert etag and "stale-if-error=" in (answer.header("Cache-Control") or "")
    # The tag it gave revalidates the same request.
    again = newsroom.api_request("GET", path, headers={**headers, "If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.header("ETag") == etag
