"""Every request the API can receive gets a 2xx, or a 4xx whose body names what is wrong: never a 5xx.

Properties over each route's parameters, through the real handlers on the template-driven stack, with
data in the tables so that the success paths run too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlencode

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steppewire.aws import dynamodb_client
from steppewire.rates.repository import DynamoRatesRepository
from steppewire.rates.ticker import DailyRate, TickerEntry
from steppewire_local import LocalStack

ROOT = Path(__file__).resolve().parents[2]

PROPERTY = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

edge_dates = st.sampled_from(["0001-01-01", "9999-12-31", "1970-01-01", "2026-02-29", "2026-13-01", "2026-11-20"])
any_text = st.text(max_size=30) | st.sampled_from(["", " ", "-1", "0", "1e3", "%", "'", '"', "<script>", "\x00", "NaN"])
dates = edge_dates | st.dates().map(date.isoformat)


def usually(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly values a client would send, so that requests get past validation to the handlers too."""
    return st.sampled_from([valid, valid, valid, any_text]).flatmap(lambda chosen: chosen)


def query(
    required: dict[str, st.SearchStrategy[str]] | None = None, **optional: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, str]]:
    """The required parameters and any subset of the others, with any values, plus an unknown one now and
    then; an absent required parameter is tried by the strategies' junk values (empty text)."""
    known = st.fixed_dictionaries(
        {name: usually(values) for name, values in (required or {}).items()},
        optional={name: usually(values) for name, values in optional.items()},
    )
    return st.tuples(known, st.dictionaries(st.sampled_from(["x", "base", "q[]"]), any_text, max_size=1)).map(
        lambda parts: {**parts[1], **parts[0]}
    )


@pytest.fixture
def newsroom(deploy: Callable[..., LocalStack]) -> LocalStack:
    stack = deploy()
    bucket = stack.physical_id("ArticlesBucket")
    for number, (title, when) in enumerate(
        [("Tenge steadies in Almaty", "2026-11-20"), ("Выборы в Бишкеке", "2026-11-21")]
    ):
        body = (
            f"---\ntitle: {title}\ndate: {when}\ncountry: Kazakhstan\ntags: [tenge]\n---\n\n{title}. Markets calmed.\n"
        )
        boto3.client("s3").put_object(Bucket=bucket, Key=f"incoming/{number}.md", Body=body.encode())
    stack.drain()
    rates = DynamoRatesRepository(dynamodb_client(), stack.physical_id("RatesTable"))
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for day in (19, 20):
        rate = DailyRate("KZT", date(2026, 11, day), Decimal("472.31") + day, "NBK")
        rates.put_rate(rate, now)
    rates.put_ticker_entry(TickerEntry(current=rate, previous=None), now)
    return stack


def documented_statuses(route: str) -> set[int]:
    document = json.loads((ROOT / "shared" / "steppewire" / "api" / "openapi.json").read_text(encoding="utf-8"))
    return {int(status) for status in document["paths"][route]["get"]["responses"]}


def assert_within_contract(stack: LocalStack, path: str, params: dict[str, str], route: str | None = None) -> None:
    response = stack.api_request("GET", f"{path}?{urlencode(params)}" if params else path)
    assert response.status < 500, (path, params, response.body_text)
    if response.header("x-amzn-ErrorType") is None:  # answered by the function, not by API Gateway (no route)
        assert response.status in documented_statuses(route or path), (path, params, response.status)
    body = response.json()
    if response.status >= 400:
        assert body["message"], body
        if response.status in (400, 422):
            for error in body["detail"]:  # each names the parameter at fault, and where it is
                where, name = error["loc"][0], str(error["loc"][-1])
                assert where in ("query", "path") and name, body
                assert f"'{name}'" in body["message"], body


@PROPERTY
@given(
    params=query(
        {"q": st.sampled_from(["tenge", "Алматы", '"tenge steadies"', "almat", "выборы бишкек", "a" * 201])},
        page=st.integers(min_value=-1, max_value=1001).map(str),
        per_page=st.integers(min_value=-1, max_value=51).map(str),
        lang=st.sampled_from(["en", "ru", "kk"]),
        category=st.sampled_from(["Economy", "economy"]),
        country=st.sampled_from(["Kazakhstan", "kazakhstan", "Kyrgyzstan"]),
        tag=st.sampled_from(["tenge", "TENGE"]),
        sort=st.sampled_from(["relevance", "date"]),
        **{"from": dates, "to": dates},
    )
)
def test_search_answers_any_parameters_within_contract(newsroom: LocalStack, params: dict[str, str]) -> None:
    assert_within_contract(newsroom, "/search", params)


@PROPERTY
@given(currency=st.sampled_from(["KZT", "kgs", "XXX"]) | any_text, params=query(**{"from": dates, "to": dates}))
def test_rate_history_answers_any_parameters_within_contract(
    newsroom: LocalStack, currency: str, params: dict[str, str]
) -> None:
    assert_within_contract(newsroom, f"/rates/{quote(currency, safe='')}/history", params, "/rates/{currency}/history")


@PROPERTY
@given(
    params=query(
        limit=st.integers(min_value=-1, max_value=101).map(str),
        cursor=any_text,
        lang=st.sampled_from(["en", "ru", "kk"]),
        category=st.sampled_from(["Economy", "economy"]),
        tag=st.sampled_from(["tenge", "TENGE"]),
        country=st.sampled_from(["Kazakhstan", "kazakhstan"]),
    )
)
def test_article_listing_answers_any_parameters_within_contract(newsroom: LocalStack, params: dict[str, str]) -> None:
    assert_within_contract(newsroom, "/articles", params)


@PROPERTY
@given(slug=any_text | st.sampled_from(["0", "tenge-steadies-in-almaty", "a" * 300]))
def test_an_article_answers_any_slug_within_contract(newsroom: LocalStack, slug: str) -> None:
    assert_within_contract(newsroom, f"/articles/{quote(slug, safe='')}", {}, "/articles/{slug}")


def test_extreme_dates_the_schema_admits_get_an_answer(newsroom: LocalStack) -> None:
    for path, status in [
        ("/search?q=tenge&from=0001-01-01", 200),
        ("/search?q=tenge&to=9999-12-31", 200),
        ("/search?q=tenge&from=0001-01-01&to=9999-12-31", 200),
        ("/rates/KZT/history?to=0001-01-01", 200),
        ("/rates/KZT/history?from=0001-01-01&to=0001-12-31", 200),
        ("/rates/KZT/history?from=9999-12-31", 400),
    ]:
        response = newsroom.api_request("GET", path)
        assert response.status == status, (path, response.body_text)
        assert json.loads(response.body_text)
