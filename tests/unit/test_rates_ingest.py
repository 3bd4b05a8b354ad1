"""Choosing, checking and storing rates: fallback, plausibility, staleness and idempotency."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from steppewire.rates.currencies import STORED_CURRENCIES
from steppewire.rates.feeds import FeedResult
from steppewire.rates.ingest import Outcome, RatesIngestion
from steppewire.rates.model import Quote, RateSheet
from steppewire.rates.service import requested_date
from tests.fakes import InMemoryRatesRepository

D1, D2 = date(2026, 11, 23), date(2026, 11, 24)
NATIONAL_CURRENCIES = ("KGS", "KZT", "TJS", "UZS", "TMT")
NOW = datetime(2026, 11, 24, 15, 5, tzinfo=ZoneInfo("Asia/Almaty"))
# What NBK (KZT per unit) and CBR (RUB per unit) also quote, consistent with NATIONAL.
NBK_OTHERS = {"EUR": "551.78", "RUB": "5.86", "CNY": "66.71"}
CBR_OTHERS = {"EUR": "94.1568", "CNY": "11.3862"}

NATIONAL = {  # source: (base currency, local per USD)
    "NBK": ("KZT", "472.31"),
    "NBKR": ("KGS", "87.45"),
    "NBT": ("TJS", "9.3288"),
    "CBU": ("UZS", "12149.84"),
    "CBT": ("TMT", "3.5"),
}


def national_sheet(source: str, on: date, local_per_usd: str | None = None) -> FeedResult:
    base, value = NATIONAL[source]
    quotes = {"USD": Quote("USD", Decimal(1), Decimal(local_per_usd or value))}
    if source == "NBK":
        quotes |= {code: Quote(code, Decimal(1), Decimal(kzt)) for code, kzt in NBK_OTHERS.items()}
    return FeedResult(source, f"https://{source.lower()}.example/{on}", sheet=RateSheet(source, on, quotes))


def cbr_sheet(
    on: date, scale: Decimal = Decimal(1), *, scaled: tuple[str, ...] = ("KZT", "KGS", "TJS", "UZS", "TMT")
) -> FeedResult:
    """Bank of Russia quotes (RUB per nominal) consistent with NATIONAL, times `scale` for the `scaled` ones."""
    rub_per_usd = Decimal("81.0517")
    quotes = {"USD": Quote("USD", Decimal(1), rub_per_usd)}
    for currency, local in (NATIONAL[s] for s in NATIONAL):
        nominal = Decimal(100)
        factor = scale if currency in scaled else Decimal(1)
        quotes[currency] = Quote(
            currency, nominal, (rub_per_usd / Decimal(local) * nominal * factor).quantize(Decimal("0.0001"))
        )
    quotes |= {code: Quote(code, Decimal(1), Decimal(rub)) for code, rub in CBR_OTHERS.items()}
    return FeedResult("CBR", "https://cbr.example", sheet=RateSheet("CBR", on, quotes))


def failed(source: str, error: str = "HTTP 500") -> FeedResult:
    return FeedResult(source, f"https://{source.lower()}.example", error=error)


def all_sources(on: date, **overrides: FeedResult) -> dict[str, FeedResult]:
    sources = {s: national_sheet(s, on) for s in NATIONAL} | {"CBR": cbr_sheet(on)}
    return sources | overrides


def test_every_currency_is_stored_from_its_national_bank() -> None:
    repo = InMemoryRatesRepository()
    report = RatesIngestion(repo, NOW).run(D2, all_sources(D2), backfill=False)
    assert {c: r.outcome for c, r in report.currencies.items()} == dict.fromkeys(STORED_CURRENCIES, Outcome.STORED)
    assert repo.rates[("UZS", D2)].local_per_usd == Decimal("12149.84")
    assert repo.rates[("UZS", D2)].source == "CBU"
    assert repo.entries["UZS"].current.usd_per_unit == Decimal("0.000082305611")


def test_failed_primary_falls_back_to_bank_of_russia_cross_and_names_it() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D2, all_sources(D2, NBKR=failed("NBKR", "unreachable (timed out)")), backfill=False)
    kgs = repo.rates[("KGS", D2)]
    assert kgs.source == "CBR"
    assert abs(kgs.local_per_usd - Decimal("87.45")) < Decimal("0.01")
    assert repo.entries["KZT"].current.source == "NBK"  # the others are untouched by NBKR's failure


def test_tmt_uses_the_peg_only_when_cbt_and_cbr_both_fail() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D2, all_sources(D2, CBT=failed("CBT"), CBR=failed("CBR")), backfill=False)
    tmt = repo.entries["TMT"].current
    assert (tmt.source, tmt.peg, tmt.local_per_usd) == ("PEG", True, Decimal("3.5"))


def test_disagreement_with_cross_check_keeps_previous_rate_flagged_stale() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D1, all_sources(D1), backfill=False)
    # NBT publishes 10.5 TJS per USD (+12.5 %) while the Bank of Russia cross still says 9.33
    sources = all_sources(D2, NBT=national_sheet("NBT", D2, "10.5"))
    report = RatesIngestion(repo, NOW).run(D2, sources, backfill=False)
    assert report.currencies["TJS"].outcome is Outcome.REJECTED
    assert "CBR cross" in report.currencies["TJS"].detail
    assert ("TJS", D2) not in repo.rates
    entry = repo.entries["TJS"]
    assert (entry.current.effective_date, entry.stale) == (D1, True)
    assert entry.stale_reason and "10.5" in entry.stale_reason


def test_jump_beyond_daily_bound_is_rejected_even_from_the_fallback() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D1, all_sources(D1), backfill=False)
    sources = all_sources(D2, CBU=failed("CBU"), CBR=cbr_sheet(D2, scale=Decimal("0.5"), scaled=("UZS",)))
    report = RatesIngestion(repo, NOW).run(D2, sources, backfill=False)
    assert report.currencies["UZS"].outcome is Outcome.REJECTED
    assert "move" in report.currencies["UZS"].detail
    assert repo.entries["UZS"].stale


def test_second_run_for_the_same_date_writes_nothing() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D2, all_sources(D2), backfill=False)
    writes = repo.writes
    report = RatesIngestion(repo, NOW).run(D2, all_sources(D2), backfill=False)
    assert repo.writes == writes
    assert {r.outcome for r in report.currencies.values()} == {Outcome.UNCHANGED}


def test_fallback_never_overwrites_a_national_rate_of_the_same_date() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D2, all_sources(D2), backfill=False)
    RatesIngestion(repo, NOW).run(D2, all_sources(D2, NBKR=failed("NBKR")), backfill=False)
    assert repo.rates[("KGS", D2)].source == "NBKR"


def test_ticker_change_is_against_the_previous_stored_date() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D1, all_sources(D1, NBK=national_sheet("NBK", D1, "478.77")), backfill=True)
    RatesIngestion(repo, NOW).run(D2, all_sources(D2, NBK=national_sheet("NBK", D2, "475.09")), backfill=False)
    kzt = repo.entries["KZT"]
    assert kzt.previous is not None and kzt.previous.effective_date == D1
    assert str(kzt.change_pct) == "0.77"
    kgs = repo.entries["KGS"]
    assert str(kgs.change_pct) == "0.00" and str(kgs.change) == "0"


def test_a_sheet_dated_after_the_requested_day_is_not_stored() -> None:
    repo = InMemoryRatesRepository()
    tomorrow = date(2026, 11, 25)
    RatesIngestion(repo, NOW).run(D2, all_sources(D2), backfill=False)
    # NBKR re-dates its file for tomorrow each afternoon: tomorrow's run stores it under its own date.
    report = RatesIngestion(repo, NOW).run(D2, all_sources(D2, NBKR=national_sheet("NBKR", tomorrow)), backfill=False)
    assert ("KGS", tomorrow) not in repo.rates
    assert "dated 2026-11-25, after the requested 2026-11-24" in str(report.sources["NBKR"].error)
    assert repo.entries["KGS"].current == repo.rates[("KGS", D2)]
    assert repo.rates[("KGS", D2)].source == "NBKR"  # the fallback does not displace the national rate


@pytest.mark.parametrize(
    ("source", "sheet_date", "words"),
    [
        # An NBK sheet of January (USD x100 as it was then) answering a request for November.
        ("NBK", date(2026, 1, 15), "more than 10 days before the requested 2026-11-24"),
        ("CBU", date(2027, 6, 30), "after the requested 2026-11-24"),
    ],
)
def test_a_sheet_for_another_day_is_never_stored_under_any_date(source: str, sheet_date: date, words: str) -> None:
    repo = InMemoryRatesRepository()
    sheet = national_sheet(source, sheet_date, str(Decimal(NATIONAL[source][1]) * 100))
    report = RatesIngestion(repo, NOW).run(D2, all_sources(D2, **{source: sheet}), backfill=False)
    assert words in str(report.sources[source].error)
    assert not [key for key in repo.rates if key[1] == sheet_date]
    currency = NATIONAL[source][0]
    assert repo.rates[(currency, D2)].source == "CBR"  # the cross of the requested day stands in


def test_a_sheet_from_a_few_days_before_serves_the_requested_day() -> None:
    repo = InMemoryRatesRepository()
    friday, monday = date(2026, 11, 20), date(2026, 11, 23)
    report = RatesIngestion(repo, NOW).run(
        monday, all_sources(monday, NBT=national_sheet("NBT", friday)), backfill=True
    )
    assert report.sources["NBT"].error is None
    assert repo.rates[("TJS", friday)].source == "NBT"


def test_no_rate_is_stored_for_a_day_that_has_not_begun() -> None:
    repo = InMemoryRatesRepository()
    with pytest.raises(ValueError, match="2026-11-25: that day has not begun in Almaty"):
        RatesIngestion(repo, NOW).run(date(2026, 11, 25), all_sources(date(2026, 11, 25)), backfill=True)
    assert repo.writes == 0


def test_a_bank_of_russia_sheet_at_odds_with_every_national_rate_overrules_none() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D1, all_sources(D1), backfill=False)
    report = RatesIngestion(repo, NOW).run(D2, all_sources(D2, CBR=cbr_sheet(D2, scale=Decimal(100))), backfill=False)
    assert {cur: r.outcome for cur, r in report.currencies.items()} == dict.fromkeys(STORED_CURRENCIES, Outcome.STORED)
    assert {cur: repo.rates[(cur, D2)].source for cur in ("EUR", "RUB", "CNY")} == dict.fromkeys(
        ("EUR", "RUB", "CNY"), "NBK"
    )
    assert not any(entry.stale for entry in repo.entries.values())
    assert "disagree with 5 of 5 national rates" in str(report.sources["CBR"].error)


def test_a_bank_of_russia_sheet_at_odds_with_most_national_rates_is_no_fallback() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D1, all_sources(D1), backfill=False)
    sources = all_sources(D2, NBT=failed("NBT"), CBR=cbr_sheet(D2, scale=Decimal(100)))
    report = RatesIngestion(repo, NOW).run(D2, sources, backfill=False)
    assert report.currencies["TJS"].outcome is Outcome.UNAVAILABLE
    assert ("TJS", D2) not in repo.rates and repo.entries["TJS"].stale


def test_one_national_outlier_is_still_judged_by_an_agreeing_cross() -> None:
    repo = InMemoryRatesRepository()
    sources = all_sources(D2, NBK=national_sheet("NBK", D2, "47231"))
    report = RatesIngestion(repo, NOW).run(D2, sources, backfill=False)
    assert report.currencies["KZT"].outcome is Outcome.REJECTED
    assert report.sources["CBR"].error is None
    assert {cur for cur, r in report.currencies.items() if r.outcome is Outcome.STORED} == set(STORED_CURRENCIES) - {
        "KZT"
    }


def test_a_cross_that_jumped_from_history_judges_no_national_rate() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D1, all_sources(D1), backfill=False)
    # Only NBK answers besides CBR, whose KZT row is off by 100: no majority to tell who is wrong, but
    # the cross has jumped from the stored history and NBK has not.
    others = {source: failed(source) for source in ("NBKR", "NBT", "CBU", "CBT")}
    sources = all_sources(D2, CBR=cbr_sheet(D2, scale=Decimal(100), scaled=("KZT",)), **others)
    report = RatesIngestion(repo, NOW).run(D2, sources, backfill=False)
    assert report.currencies["KZT"].outcome is Outcome.STORED
    assert repo.rates[("KZT", D2)].source == "NBK"


def test_backfill_does_not_mark_the_live_ticker_stale() -> None:
    repo = InMemoryRatesRepository()
    RatesIngestion(repo, NOW).run(D2, all_sources(D2), backfill=False)
    RatesIngestion(repo, NOW).run(D1, all_sources(D1, NBT=failed("NBT"), CBR=failed("CBR")), backfill=True)
    assert not repo.entries["TJS"].stale


@pytest.mark.parametrize(
    ("event", "expected"),
    [({}, None), ({"date": "2026-11-23"}, D1), ({"detail-type": "Scheduled Event", "detail": {}}, None)],
)
def test_backfill_date_comes_from_the_schedule_input(event: dict[str, object], expected: date | None) -> None:
    assert requested_date(event) == expected


@pytest.mark.parametrize("bad", ["2025-02-30", "23.11.2026", "yesterday", 20261123])
def test_a_bad_backfill_date_is_refused_by_name(bad: object) -> None:
    with pytest.raises(ValueError, match="event field 'date'"):
        requested_date({"date": bad})
