"""Rates for every consumer, through the template-driven stack: the real ingest function fetches NBK and
the Bank of Russia (the four other banks answer 404), the real API function answers.

The banks serve tests/fixtures/rates/*-2026-11-20.xml re-dated to the day asked for, as a bank that has
published that day answers.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Context, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.rates.currencies import CURRENCIES, TICKER_CURRENCIES
from steppewire.rates.sources import SOURCES
from steppewire_local import LocalStack
from tests.integration.test_api_contract import PROPERTY, any_text, assert_within_contract, dates, query

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "rates"
FILED = date(2026, 11, 20)  # a Friday: the fixtures' own date
BANK_FILES = {"nbk": "nbk-getrates-2026-11-20.xml", "cbr": "cbr-daily-2026-11-20.xml"}
CODES = [c.code for c in CURRENCIES]
TICKER_FIELDS = {
    "pair", "currency", "rate", "local_per_usd", "change", "change_pct", "date", "previous_date", "source", "peg",
    "stale", "stale_reason",
}  # fmt: skip


class _Banks(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  # http.server's naming
        source, _, asked = self.path.strip("/").partition("/")
        if source not in BANK_FILES:
            self.send_error(404, "Not Found")
            return
        day = date.fromisoformat(asked).strftime("%d.%m.%Y")
        body = (FIXTURES / BANK_FILES[source]).read_bytes().replace(FILED.strftime("%d.%m.%Y").encode(), day.encode())
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def stack(deploy: Callable[..., LocalStack], monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    monkeypatch.setenv("RATES_HTTP_ATTEMPTS", "1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Banks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    stack = deploy({s.template_parameter: f"{base}/{s.code.lower()}/%Y-%m-%d" for s in SOURCES})
    for day in (FILED - timedelta(days=7), FILED - timedelta(days=1), FILED):  # Fri, Thu, Fri
        stack.invoke("RatesIngestFunction", {"date": day.isoformat()})
    yield stack
    server.shutdown()
    server.server_close()


def get(stack: LocalStack, path: str, status: int = 200, **headers: str) -> Any:
    response = stack.api_request("GET", path, headers=headers)
    assert response.status == status, (path, response.body_text)
    return response


def per_usd(stack: LocalStack) -> dict[str, Decimal]:
    """Each stored currency per USD as /rates?date= shows it (the stored official rates)."""
    items = get(stack, f"/rates?date={FILED}").json()["items"]
    legs = {leg["currency"]: Decimal(leg["local_per_usd"]) for item in items for leg in item["sources"]}
    return {"USD": Decimal(1), **legs}


def test_the_default_answer_is_still_the_ticker(stack: LocalStack) -> None:
    body = get(stack, "/rates").json()
    assert body["base"] == "USD" and set(body) == {"base", "items", "updated_at"}  # only added: when it changed
    assert [item["currency"] for item in body["items"]] == list(TICKER_CURRENCIES)
    assert all(set(item) == TICKER_FIELDS for item in body["items"])
    kzt = body["items"][1]
    assert (kzt["pair"], kzt["rate"], kzt["local_per_usd"], kzt["source"]) == (
        "KZT/USD",
        "0.0021058838",
        "474.86",
        "NBK",
    )


def test_any_base_and_symbols_through_the_stored_official_rates(stack: LocalStack) -> None:
    body = get(stack, "/rates?base=kzt&symbols=UZS,KGS,USD,uzs").json()
    assert (body["base"], body["requested_date"]) == ("KZT", None)
    items = {item["currency"]: item for item in body["items"]}
    assert list(items) == ["UZS", "KGS", "USD"]
    stored = per_usd(stack)
    eight = Context(prec=8)
    for code, item in items.items():
        assert Decimal(item["rate"]) == eight.divide(stored["KZT"], stored[code])  # KZT per one unit
        assert Decimal(item["inverse"]) == eight.divide(stored[code], stored["KZT"])
        assert item["pair"] == f"{code}/KZT" and item["date"] == FILED.isoformat()
    assert [(leg["currency"], leg["source"]) for leg in items["UZS"]["sources"]] == [("KZT", "NBK"), ("UZS", "CBR")]
    assert items["USD"]["rate"] == "474.86" and [leg["currency"] for leg in items["USD"]["sources"]] == ["KZT"]
    # EUR, RUB and CNY are the Bank of Russia's
    majors = get(stack, "/rates?symbols=EUR,RUB,CNY").json()["items"]
    assert [(item["currency"], item["inverse"], item["sources"][0]["source"]) for item in majors] == [
        ("EUR", "0.86210022", "CBR"),
        ("RUB", "80.6512", "CBR"),
        ("CNY", "7.0925224", "CBR"),
    ]


def test_a_currency_in_itself_is_one(stack: LocalStack) -> None:
    for code in CODES:
        (item,) = get(stack, f"/rates?base={code}&symbols={code}").json()["items"]
        assert (item["rate"], item["inverse"]) == ("1", "1"), code


@PROPERTY
@given(
    source=st.sampled_from(CODES),
    target=st.sampled_from(CODES),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999"), places=2),
    day=st.sampled_from([None, FILED, FILED + timedelta(days=2), FILED - timedelta(days=3)]),
)
def test_convert_agrees_to_the_last_digit_with_arithmetic_by_hand_from_rates(
    stack: LocalStack, source: str, target: str, amount: Decimal, day: date | None
) -> None:
    on = f"&date={day}" if day else ""
    conversion = get(stack, f"/rates/convert?from={source}&to={target}&amount={amount}{on}").json()
    (shown,) = get(stack, f"/rates?base={target}&symbols={source}{on}").json()["items"]
    (other_way,) = get(stack, f"/rates?base={source}&symbols={target}{on}").json()["items"]
    assert conversion["rate"] == shown["rate"] == other_way["inverse"]
    assert Decimal(conversion["result"]) == Decimal(conversion["amount"]) * Decimal(shown["rate"])
    assert Decimal(conversion["amount"]) == amount
    assert (conversion["date"], conversion["carried_forward"], conversion["sources"]) == (
        shown["date"],
        shown["carried_forward"],
        shown["sources"],
    )


def test_convert_names_the_rate_the_date_and_the_sources(stack: LocalStack) -> None:
    body = get(stack, f"/rates/convert?from=KZT&to=UZS&amount=150000&date={FILED}").json()
    assert (body["from"], body["to"], body["amount"], body["requested_date"], body["date"]) == (
        "KZT",
        "UZS",
        "150000",
        "2026-11-20",
        "2026-11-20",
    )
    # 12149.925 / 474.86 = 25.5863307...: the rate to 8 digits, the result that rate times the amount
    assert (body["rate"], body["result"], body["carried_forward"]) == ("25.586331", "3837949.65", False)
    assert [(leg["currency"], leg["source"], leg["date"]) for leg in body["sources"]] == [
        ("UZS", "CBR", "2026-11-20"),
        ("KZT", "NBK", "2026-11-20"),
    ]


def test_a_weekend_is_carried_forward_and_a_date_without_a_rate_is_a_404_naming_it(stack: LocalStack) -> None:
    sunday = FILED + timedelta(days=2)
    body = get(stack, f"/rates?base=EUR&symbols=KZT&date={sunday}").json()
    assert body["requested_date"] == sunday.isoformat()
    (item,) = body["items"]
    assert (item["date"], item["carried_forward"]) == (FILED.isoformat(), True)
    # Nothing is stored on or in the 14 days before 2026-11-12 (the first stored date is 2026-11-13)
    before = FILED - timedelta(days=8)
    missing = get(stack, f"/rates/convert?from=EUR&to=KZT&amount=1&date={before}", 404).json()
    assert "rate on 2026-11-12 or in the 14 days before it" in missing["message"]
    assert "'date'" in missing["message"]


def test_bad_input_is_a_4xx_naming_the_parameter(stack: LocalStack) -> None:
    tomorrow = datetime.now(NEWSROOM_TIMEZONE).date() + timedelta(days=1)
    for path, status, name in [
        ("/rates?base=XYZ", 400, "base"),
        ("/rates?symbols=KZT,GBP", 400, "symbols"),
        ("/rates?symbols=,", 400, "symbols"),
        (f"/rates?date={tomorrow}", 400, "date"),
        ("/rates?date=friday", 422, "date"),
        ("/rates/convert?from=KZT&to=UZS&amount=-5", 422, "amount"),
        ("/rates/convert?from=KZT&to=UZS&amount=1.123456789", 422, "amount"),
        ("/rates/convert?from=KZT&to=UZS&amount=NaN", 422, "amount"),
        ("/rates/convert?from=KZT&to=UZS", 422, "amount"),
        ("/rates/convert?from=KZT&to=ABC&amount=1", 400, "to"),
        ("/rates/KZT/history?group=year", 422, "group"),
        ("/rates/KZT/history?format=xml", 422, "format"),
        ("/currencies?lang=kk", 422, "lang"),
    ]:
        assert f"'{name}'" in get(stack, path, status).json()["message"], path


def test_history_by_week_is_the_last_official_rate_of_each_week(stack: LocalStack) -> None:
    start, end = FILED - timedelta(days=7), FILED
    body = get(stack, f"/rates/RUB/history?from={start}&to={end}&group=week").json()
    assert (body["group"], body["pair"]) == ("week", "RUB/USD")
    assert [(p["period"], p["date"], p["local_per_usd"], p["source"]) for p in body["items"]] == [
        ("2026-W46", "2026-11-13", "80.6512", "CBR"),
        ("2026-W47", "2026-11-20", "80.6512", "CBR"),
    ]
    month = get(stack, f"/rates/RUB/history?from={start}&to={end}&group=month").json()
    assert [(p["period"], p["date"]) for p in month["items"]] == [("2026-11", "2026-11-20")]


def test_history_as_csv_by_accept_header_or_format(stack: LocalStack) -> None:
    path = f"/rates/KZT/history?from={FILED - timedelta(days=7)}&to={FILED}"
    by_header = get(stack, path, Accept="text/csv")
    by_format = get(stack, f"{path}&format=csv")
    assert by_header.header("Content-Type") == by_format.header("Content-Type") == "text/csv; charset=utf-8"
    assert by_header.body_text == by_format.body_text
    rows = list(csv.reader(io.StringIO(by_header.body_text)))
    assert rows == [
        ["period", "date", "currency", "rate", "local_per_usd", "source", "peg"],
        ["2026-11-13", "2026-11-13", "KZT", "0.0021058838", "474.86", "NBK", "false"],
        ["2026-11-19", "2026-11-19", "KZT", "0.0021058838", "474.86", "NBK", "false"],
        ["2026-11-20", "2026-11-20", "KZT", "0.0021058838", "474.86", "NBK", "false"],
    ]
    as_json = get(stack, path).json()["items"]
    assert [row[1] for row in rows[1:]] == [p["date"] for p in as_json]


def test_currencies_in_russian_with_their_sources_peg_and_stored_range(stack: LocalStack) -> None:
    body = get(stack, "/currencies?lang=ru").json()
    items = {item["code"]: item for item in body["items"]}
    assert list(items) == CODES
    tmt = items["TMT"]
    assert (tmt["name"], tmt["country"], tmt["numeric_code"], tmt["peg_per_usd"]) == (
        "Туркменский манат",
        "Туркмения",
        "934",
        "3.5",
    )
    assert (tmt["primary_source"], tmt["fallback_source"]) == ("CBT", "CBR")
    assert (items["EUR"]["primary_source"], items["EUR"]["fallback_source"]) == ("CBR", "NBK")
    assert (items["KZT"]["first_date"], items["KZT"]["last_date"]) == ("2026-11-13", "2026-11-20")
    usd = items["USD"]
    assert (usd["primary_source"], usd["first_date"], usd["name_en"], usd["symbol"]) == (None, None, "US dollar", "$")
    assert get(stack, "/currencies").json()["items"][0]["name"] == "Kyrgyzstani som"


def test_sources_show_each_banks_last_success_and_failure_after_a_live_run(stack: LocalStack) -> None:
    assert {item["stale_reason"] for item in get(stack, "/rates/sources").json()["items"]} == {
        "no usable sheet recorded yet"  # backfills record nothing
    }
    stack.invoke("RatesIngestFunction", {})
    today = datetime.now(NEWSROOM_TIMEZONE).date().isoformat()
    items = {item["source"]: item for item in get(stack, "/rates/sources").json()["items"]}
    assert list(items) == [s.code for s in SOURCES]
    for code in ("NBK", "CBR"):
        assert (items[code]["last_sheet_date"], items[code]["stale"], items[code]["last_failure_at"]) == (
            today,
            False,
            None,
        )
        assert items[code]["last_success_at"].startswith(today)
    nbkr = items["NBKR"]
    assert (nbkr["last_success_at"], nbkr["last_error"], nbkr["stale"]) == (None, "HTTP 404", True)
    assert "dated the next day" in nbkr["publishing_window"]


@PROPERTY
@given(
    params=query(
        base=st.sampled_from([*CODES, "kzt", "XXX"]),
        symbols=st.sampled_from(["UZS,KGS,USD", "EUR", "kzt, rub", ",,", "KZT,XXX"]),
        date=dates,
    )
)
def test_rates_answers_any_parameters_within_contract(stack: LocalStack, params: dict[str, str]) -> None:
    assert_within_contract(stack, "/rates", params)


@PROPERTY
@given(
    params=query(
        {"from": st.sampled_from([*CODES, "XXX"]), "to": st.sampled_from([*CODES, "eur"])},
        amount=st.sampled_from(["150000", "0.01", "1e3", "-1", "0", "1" * 19, "1.000000001"]) | any_text,
        date=dates,
    )
)
def test_convert_answers_any_parameters_within_contract(stack: LocalStack, params: dict[str, str]) -> None:
    assert_within_contract(stack, "/rates/convert", params)


@PROPERTY
@given(params=query(lang=st.sampled_from(["en", "ru", "kk"])))
def test_currencies_and_sources_answer_any_parameters_within_contract(
    stack: LocalStack, params: dict[str, str]
) -> None:
    assert_within_contract(stack, "/currencies", params)
    assert_within_contract(stack, "/rates/sources", params)
