"""The HTTP rules of `http_caching` and the rates' freshness, on plain proxy events and answers; and the
local API Gateway's reading of Accept-Encoding, which decides its gzip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.api.http_caching import as_get, finish, http_date
from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.rates.freshness import INGESTION_SETTLE, rates_freshness, until_next_ingestion
from steppewire.settings import load_settings
from steppewire_local.api_gateway import accepts_gzip

ALMATY = NEWSROOM_TIMEZONE


@pytest.fixture(autouse=True)
def schedule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RATES_INGEST_SCHEDULE", "cron(5 8-18 * * ? *)")
    monkeypatch.setenv("RATES_INGEST_TIMEZONE", "Asia/Almaty")
    monkeypatch.delenv("API_ALLOW_ORIGIN", raising=False)
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


def event(method: str = "GET", **headers: str) -> dict[str, Any]:
    return {"httpMethod": method, "path": "/x", "headers": headers, "requestContext": {"httpMethod": method}}


def answer(status: int = 200, body: str = '{"a": 1}', **headers: str) -> dict[str, Any]:
    multi = {"Content-Type": ["application/json"], **{name.replace("_", "-"): [v] for name, v in headers.items()}}
    return {"statusCode": status, "body": body, "isBase64Encoded": False, "multiValueHeaders": multi}


def header(result: dict[str, Any], name: str) -> str | None:
    values = {key.lower(): value for key, value in result["multiValueHeaders"].items()}.get(name.lower())
    return values[-1] if values else None


def test_the_ticker_lasts_until_the_next_run_is_over() -> None:
    at = datetime(2026, 11, 26, 10, 30, tzinfo=ALMATY)
    assert until_next_ingestion(at).max_age == int((timedelta(minutes=35) + INGESTION_SETTLE).total_seconds())
    # A run that started a minute ago may still be storing: the answer expires when it is over.
    during = datetime(2026, 11, 26, 11, 6, tzinfo=ALMATY)
    assert until_next_ingestion(during).max_age == int((INGESTION_SETTLE - timedelta(minutes=1)).total_seconds())


def test_the_ticker_never_outlives_the_day() -> None:
    evening = datetime(2026, 11, 26, 20, 0, tzinfo=ALMATY)  # the next run is at 08:05 tomorrow
    assert until_next_ingestion(evening).max_age == 4 * 3600


def test_rates_up_to_a_day_before_today_are_fresh_for_a_day() -> None:
    now = datetime(2026, 11, 26, 10, 30, tzinfo=ALMATY)
    assert rates_freshness(now.date() - timedelta(days=1), now).max_age == 86_400
    assert rates_freshness(now.date(), now) == until_next_ingestion(now)
    assert rates_freshness(None, now) == until_next_ingestion(now)  # the latest rates


@given(
    st.lists(st.sampled_from(["gzip", "GZIP", "br", "deflate", "identity", "*", "x-gzip", "", " "]), max_size=4),
    st.lists(st.sampled_from(["", ";q=0", ";q=0.5", ";q=1", ";q=zero", ";Q=0.0"]), min_size=4, max_size=4),
)
def test_gzip_is_used_only_when_the_client_gives_it_a_positive_weight(codings: list[str], weights: list[str]) -> None:
    header_value = ", ".join(coding + weight for coding, weight in zip(codings, weights, strict=False))
    result = accepts_gzip(header_value)
    named = [(c.strip().lower(), w) for c, w in zip(codings, weights, strict=False) if c.strip()]
    last = dict(named)
    chosen = last.get("gzip", last.get("x-gzip", last.get("*")))
    assert result == (chosen is not None and chosen.lower() not in (";q=0", ";q=zero", ";q=0.0"))


def test_if_modified_since_answers_304_only_when_nothing_changed_since() -> None:
    changed = datetime(2026, 11, 20, 9, 0, tzinfo=ALMATY)
    ok = answer(Last_Modified=http_date(changed))
    assert finish(event(**{"If-Modified-Since": http_date(changed)}), ok)["statusCode"] == 304
    assert finish(event(**{"If-Modified-Since": http_date(changed - timedelta(seconds=1))}), ok)["statusCode"] == 200
    assert finish(event(**{"If-Modified-Since": "not a date"}), ok)["statusCode"] == 200
    # If-None-Match decides when both are sent.
    both = {"If-Modified-Since": http_date(changed), "If-None-Match": '"other"'}
    assert finish(event(**both), ok)["statusCode"] == 200


def test_a_304_and_a_head_carry_the_headers_but_no_body() -> None:
    first = finish(event(), answer())
    etag = header(first, "ETag") or ""
    not_modified = finish(event(**{"If-None-Match": f'W/{etag}, "x"'}), answer())
    assert not_modified["statusCode"] == 304 and not_modified["body"] == ""
    assert header(not_modified, "ETag") == etag
    assert header(not_modified, "Content-Type") == header(first, "Content-Type")  # a cache keeps the 200's
    head = finish(event("HEAD"), answer())
    assert head["body"] == "" and header(head, "ETag") == etag
    assert (
        as_get(event("HEAD"))["httpMethod"] == "GET" and as_get(event("HEAD"))["requestContext"]["httpMethod"] == "GET"
    )


def test_an_error_is_no_store_even_if_the_route_said_otherwise() -> None:
    result = finish(event(), answer(404, '{"message": "no"}', Cache_Control="public, max-age=60"))
    assert header(result, "Cache-Control") == "no-store" and header(result, "ETag") is None
    assert header(result, "X-Content-Type-Options") == "nosniff"


def test_an_undeclared_route_is_revalidated_every_time() -> None:
    assert (header(finish(event(), answer()), "Cache-Control") or "").startswith("public, no-cache")


def test_the_allowed_origin_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_ALLOW_ORIGIN", "https://www.steppewire.example")
    load_settings.cache_clear()
    result = finish(event(Origin="https://www.steppewire.example"), answer())
    assert header(result, "Access-Control-Allow-Origin") == "https://www.steppewire.example"
    assert header(result, "Vary") == "Accept-Encoding, Origin"
