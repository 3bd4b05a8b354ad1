"""EUR, RUB and CNY from the two banks that publish them: the Bank of Russia (its own RUB, EUR and CNY
through its USD row) and NBK (a cross through KZT, the fallback). Fixtures: hand-made in the real formats."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from steppewire.rates.feeds import FeedResult
from steppewire.rates.ingest import Outcome, RatesIngestion, sheet_rate
from steppewire.rates.model import Quote
from steppewire.rates.parsers import parse_cbr, parse_nbk
from tests.fakes import InMemoryRatesRepository

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rates"
DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 15, 5, tzinfo=ZoneInfo("Asia/Almaty"))
NBK = parse_nbk((FIXTURES / "nbk-getrates-2026-11-20.xml").read_bytes())
CBR = parse_cbr((FIXTURES / "cbr-daily-2026-11-20.xml").read_bytes())


def test_both_sheets_carry_eur_rub_and_cny_with_their_own_nominals() -> None:
    assert (NBK.effective_date, CBR.effective_date) == (DAY, DAY)
    assert [NBK.quotes[c] for c in ("EUR", "RUB", "CNY")] == [
        Quote("EUR", Decimal(1), Decimal("551.78")),
        Quote("RUB", Decimal(1), Decimal("5.89")),
        Quote("CNY", Decimal(1), Decimal("66.71")),
    ]
    # windows-1251 with comma decimals; RUB is the sheet's base, so it has no row
    assert [CBR.quotes[c] for c in ("EUR", "CNY", "USD")] == [
        Quote("EUR", Decimal(1), Decimal("93.5520")),
        Quote("CNY", Decimal(1), Decimal("11.3713")),
        Quote("USD", Decimal(1), Decimal("80.6512")),
    ]
    assert "RUB" not in CBR.quotes


def test_units_per_usd_from_each_bank() -> None:
    per_usd = {(code, sheet.source): sheet_rate(code, sheet) for code in ("EUR", "RUB", "CNY") for sheet in (NBK, CBR)}
    assert {key: rate.local_per_usd for key, rate in per_usd.items() if rate} == {
        ("EUR", "NBK"): Decimal("0.86059661"),  # 474.86 / 551.78
        ("EUR", "CBR"): Decimal("0.86210022"),  # 80.6512 / 93.5520
        ("RUB", "NBK"): Decimal("80.621392"),  # 474.86 / 5.89
        ("RUB", "CBR"): Decimal("80.6512"),  # the Bank of Russia's own USD row
        ("CNY", "NBK"): Decimal("7.1182731"),
        ("CNY", "CBR"): Decimal("7.0925224"),
    }


def sources(**failed: str) -> dict[str, FeedResult]:
    answered = {"NBK": NBK, "CBR": CBR}
    return {
        code: FeedResult(code, f"https://{code.lower()}.example", error=failed[code])
        if code in failed
        else FeedResult(code, f"https://{code.lower()}.example", sheet=sheet)
        for code, sheet in answered.items()
    }


def test_the_bank_of_russia_is_stored_and_nbk_stands_in_when_it_fails() -> None:
    repo = InMemoryRatesRepository()
    report = RatesIngestion(repo, NOW).run(DAY, sources(), backfill=False)
    assert {c: (report.currencies[c].outcome, repo.rates[(c, DAY)].source) for c in ("EUR", "RUB", "CNY")} == (
        dict.fromkeys(("EUR", "RUB", "CNY"), (Outcome.STORED, "CBR"))
    )
    fallback = InMemoryRatesRepository()
    RatesIngestion(fallback, NOW).run(DAY, sources(CBR="HTTP 500"), backfill=False)
    assert fallback.rates[("RUB", DAY)].local_per_usd == Decimal("80.621392")
    assert {fallback.rates[(c, DAY)].source for c in ("EUR", "RUB", "CNY")} == {"NBK"}


def test_a_later_bank_of_russia_rate_replaces_the_fallback_of_the_same_day() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(DAY, sources(CBR="HTTP 500"), backfill=False)
    report = RatesIngestion(repo, NOW).run(DAY, sources(), backfill=False)
    assert report.currencies["EUR"].outcome is Outcome.STORED
    assert repo.rates[("EUR", DAY)].source == "CBR"
    again = RatesIngestion(repo, NOW).run(DAY, sources(CBR="HTTP 500"), backfill=False)
    assert again.currencies["EUR"].outcome is Outcome.UNCHANGED  # NBK's cross never overwrites it
    assert repo.rates[("EUR", DAY)].source == "CBR"
