"""The rates flow end to end through the template-driven stack: schedule -> feeds -> DynamoDB -> GET /rates.

The six feed URLs (template parameters, as in a deployment) point at a local HTTP server that answers
with the bank files in tests/fixtures/rates, or fails the way real banks fail.
"""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.rates.currencies import STORED_CURRENCIES
from steppewire.rates.feeds import FeedUnavailable, HttpGetter
from steppewire.rates.sources import SOURCES
from steppewire_local import LocalStack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rates"
BANK_FILES = {
    "nbk": "nbk-getrates-2026-02-11.xml",
    "nbkr": "nbkr-daily-2026-02-11.xml",
    "nbt": "nbt-2026-02-11.xml",
    "cbu": "cbu-all-2026-02-11.json",
    "cbt": "cbt-2026-02-11.xml",
    "cbr": "cbr-daily-2026-02-11.xml",
}
PARAMETERS = {source.code.lower(): source.template_parameter for source in SOURCES}
FILE_DATE = "2026-02-11"


@dataclass
class FakeBanks:
    """Per source: "ok" (its file, re-dated to the day asked for, as a bank that has published that day
    answers), "as-filed" (its file as it is), "500", "timeout" (answers after the client gave up),
    "garbage", "trickle" (a byte every 50 ms for two seconds, then the rest), "cut" (the connection closes
    before the promised length) or "huge" (3 MiB)."""

    behaviour: dict[str, str] = field(default_factory=lambda: dict.fromkeys(BANK_FILES, "ok"))
    requests: list[str] = field(default_factory=list)


def redated(body: bytes, day: date) -> bytes:
    """The file with its own date (11.02.2026 or 2026-02-11) replaced by `day`."""
    filed = date.fromisoformat(FILE_DATE)
    for old, new in ((filed.strftime("%d.%m.%Y"), day.strftime("%d.%m.%Y")), (FILE_DATE, day.isoformat())):
        body = body.replace(old.encode(), new.encode())
    return body


def _bank_handler(banks: FakeBanks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            source, _, asked = self.path.strip("/").partition("/")
            banks.requests.append(self.path)
            mode = banks.behaviour[source]
            if mode == "500":
                self.send_error(500, "Internal Server Error")
                return
            if mode == "timeout":
                time.sleep(1.0)
            body = b"<html><body>Technical maintenance</body></html>" if mode == "garbage" else None
            body = body or (FIXTURES / BANK_FILES[source]).read_bytes()
            if mode in ("ok", "trickle", "cut"):
                body = redated(body, date.fromisoformat(asked))
            if mode == "huge":
                body = b"<rates>" + b" " * 3 * 1024 * 1024
            try:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + (100 if mode == "cut" else 0)))
                self.end_headers()
                if mode == "trickle":
                    for byte in body[:40]:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.05)
                    body = body[40:]
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out first, as intended

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def banks() -> Iterator[tuple[FakeBanks, dict[str, str]]]:
    state = FakeBanks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _bank_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state, {parameter: f"{base}/{source}/%Y-%m-%d" for source, parameter in PARAMETERS.items()}
    server.shutdown()
    server.server_close()


@pytest.fixture
def stack(
    deploy: Callable[..., LocalStack], banks: tuple[FakeBanks, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> LocalStack:
    # Short client timeout so the "timeout" bank costs the test well under a second per attempt.
    monkeypatch.setenv("RATES_HTTP_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("RATES_HTTP_ATTEMPTS", "2")
    return deploy(banks[1])


def ticker(stack: LocalStack) -> dict[str, dict[str, Any]]:
    response = stack.api_request("GET", "/rates")
    assert response.status == 200
    return {item["currency"]: item for item in response.json()["items"]}


def table_items(stack: LocalStack) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=stack.physical_id("RatesTable"))["Items"]


def test_backfill_stores_exactly_the_rates_the_bank_files_contain(stack: LocalStack) -> None:
    # Given the sample backfill event, as `make invoke` sends it
    event = json.loads((ROOT / "events" / "rates_ingest_backfill.json").read_text()) | {"date": FILE_DATE}
    # When the ingest function runs
    report = stack.invoke("RatesIngestFunction", event)
    # Then every currency comes from its national bank, with the file's own quote (EUR, RUB and CNY too)
    assert {cur: r["outcome"] for cur, r in report["currencies"].items()} == dict.fromkeys(STORED_CURRENCIES, "stored")
    shown = ticker(stack)
    quotes = {cur: (item["local_per_usd"], item["source"], item["date"]) for cur, item in shown.items()}
    assert quotes == {
        "KGS": ("87.45", "NBKR", FILE_DATE),
        "KZT": ("494.8", "NBK", FILE_DATE),
        "TJS": ("9.4512", "NBT", FILE_DATE),
        "UZS": ("12150.37", "CBU", FILE_DATE),
        "TMT": ("3.5", "CBT", FILE_DATE),
    }
    assert shown["UZS"]["rate"] == "0.000082302020"
    assert shown["UZS"]["pair"] == "UZS/USD"


def test_scheduled_run_fills_the_ticker_and_history(stack: LocalStack) -> None:
    stack.fire_schedule("RatesIngestFunctionBankPublishingHours")
    shown = ticker(stack)
    assert sorted(shown) == ["KGS", "KZT", "TJS", "TMT", "UZS"]
    assert all(not item["stale"] for item in shown.values())
    today = datetime.now(NEWSROOM_TIMEZONE).date().isoformat()
    history = stack.api_request("GET", f"/rates/kzt/history?to={today}").json()
    assert history["pair"] == "KZT/USD"
    assert [(p["date"], p["local_per_usd"]) for p in history["items"]] == [(today, "494.8")]


def test_a_sheet_for_another_day_is_not_stored(stack: LocalStack, banks: tuple[FakeBanks, dict[str, str]]) -> None:
    fake, _ = banks
    fake.behaviour.update(nbk="as-filed", cbu="as-filed")
    report = stack.invoke("RatesIngestFunction", {})  # today's run; the two files say 2026-02-11
    assert "more than 10 days before the requested" in report["sources"]["NBK"]["error"]
    assert "more than 10 days before the requested" in report["sources"]["CBU"]["error"]
    shown = ticker(stack)
    assert (shown["KZT"]["source"], shown["UZS"]["source"]) == ("CBR", "CBR")
    assert FILE_DATE not in {item["sk"]["S"] for item in table_items(stack)}


def test_failing_sources_never_block_the_others(stack: LocalStack, banks: tuple[FakeBanks, dict[str, str]]) -> None:
    fake, _ = banks
    fake.behaviour.update(nbkr="500", nbt="timeout", cbu="garbage")
    report = stack.invoke("RatesIngestFunction", {"date": FILE_DATE})
    assert report["sources"]["NBKR"]["error"] == "HTTP 500"
    assert "unreachable" in report["sources"]["NBT"]["error"]
    assert "unusable answer" in report["sources"]["CBU"]["error"]
    shown = ticker(stack)
    sources = {cur: item["source"] for cur, item in shown.items()}
    assert sources == {"KGS": "CBR", "KZT": "NBK", "TJS": "CBR", "UZS": "CBR", "TMT": "CBT"}
    assert abs(Decimal(shown["KGS"]["local_per_usd"]) - Decimal("87.45")) < Decimal("0.01")


def test_a_trickling_cut_or_huge_answer_costs_its_source_only(
    stack: LocalStack, banks: tuple[FakeBanks, dict[str, str]]
) -> None:
    fake, _ = banks
    fake.behaviour.update(nbk="trickle", nbt="cut", cbu="huge")
    report = stack.invoke("RatesIngestFunction", {"date": FILE_DATE})
    errors = {source: report["sources"][source]["error"] for source in ("NBK", "NBT", "CBU")}
    # The 0.3 s budget covers the whole fetch, not each byte: the trickle is cut off.
    assert errors["NBK"] == "no complete answer before the deadline"
    assert errors["NBT"].startswith("unreachable")  # a connection cut short is retried like a timeout...
    assert len([path for path in fake.requests if path.startswith("/nbt/")]) == 2  # ...within the attempts
    assert "too big for a rate sheet" in errors["CBU"]
    sources = {cur: item["source"] for cur, item in ticker(stack).items()}
    assert sources == {"KGS": "NBKR", "KZT": "CBR", "TJS": "CBR", "UZS": "CBR", "TMT": "CBT"}


def test_a_fetch_ends_at_the_run_deadline_whatever_its_own_budget(banks: tuple[FakeBanks, dict[str, str]]) -> None:
    fake, urls = banks
    fake.behaviour["nbk"] = "trickle"  # would complete after about two seconds
    getter = HttpGetter(timeout_seconds=20, attempts=3, deadline=time.monotonic() + 0.3)
    with pytest.raises(FeedUnavailable, match="no complete answer before the deadline"):
        getter(urls["RatesNbkUrl"].replace("%Y-%m-%d", FILE_DATE))


def test_every_source_down_keeps_the_last_rate_flagged_stale(
    stack: LocalStack, banks: tuple[FakeBanks, dict[str, str]]
) -> None:
    fake, _ = banks
    stack.invoke("RatesIngestFunction", {"date": FILE_DATE})
    fake.behaviour.update(dict.fromkeys(BANK_FILES, "500"))
    stack.invoke("RatesIngestFunction", {})
    shown = ticker(stack)
    assert shown["KZT"]["stale"] is True
    assert "NBK: HTTP 500" in shown["KZT"]["stale_reason"]
    assert shown["KZT"]["local_per_usd"] == "494.8"
    # TMT never goes dark: the official peg stands in, labelled as such
    assert (shown["TMT"]["source"], shown["TMT"]["peg"], shown["TMT"]["rate"]) == ("PEG", True, "0.28571429")


def test_second_run_for_the_same_date_changes_nothing(stack: LocalStack) -> None:
    stack.invoke("RatesIngestFunction", {"date": FILE_DATE})
    before = table_items(stack)
    report = stack.invoke("RatesIngestFunction", {"date": FILE_DATE})
    assert {r["outcome"] for r in report["currencies"].values()} == {"unchanged"}
    assert table_items(stack) == before


def test_history_rejects_bad_parameters_by_name(stack: LocalStack) -> None:
    unknown = stack.api_request("GET", "/rates/GBP/history")
    assert unknown.status == 404 and "GBP" in unknown.json()["message"]
    malformed = stack.api_request("GET", "/rates/KGS/history?from=yesterday")
    assert malformed.status == 422 and "'from'" in malformed.json()["message"]
    reversed_range = stack.api_request("GET", "/rates/KGS/history?from=2026-03-01&to=2026-02-01")
    assert reversed_range.status == 400 and "'from'" in reversed_range.json()["message"]


def test_openapi_document_is_served(stack: LocalStack) -> None:
    document = stack.api_request("GET", "/openapi.json").json()
    assert {"/rates", "/rates/{currency}/history"} <= set(document["paths"])
