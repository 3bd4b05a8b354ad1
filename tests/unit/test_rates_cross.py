"""Cross rates and conversions through the stored USD rates: exact, 8 significant digits, one rounding rule."""

from datetime import date, datetime, timedelta
from decimal import Context, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.rates.cross import MAX_CARRY_FORWARD_DAYS, NoRate, convert, crosses, stored_rates
from steppewire.rates.currencies import BY_CURRENCY, CURRENCIES, PIVOT, STORED_CURRENCIES
from steppewire.rates.ticker import DailyRate, TickerEntry
from tests.fakes import InMemoryRatesRepository

FRIDAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 15, tzinfo=ZoneInfo("Asia/Almaty"))
CODES = [c.code for c in CURRENCIES]
# A bank's quote: units per USD with up to 8 significant digits, from UZS-like to EUR-like magnitudes.
quotes = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4, allow_nan=False).filter(
    lambda d: d > 0
)
amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("9999999999"), places=8)


def repository_with(per_usd: dict[str, Decimal], day: date = FRIDAY) -> InMemoryRatesRepository:
    repo = InMemoryRatesRepository()
    for code, value in per_usd.items():
        rate = DailyRate(code, day, value, BY_CURRENCY[code].primary or "")
        repo.put_rate(rate, NOW)
        repo.put_ticker_entry(TickerEntry(current=rate, previous=None), NOW)
    return repo


def within_half_unit_of_the_8th_digit(shown: Decimal, exact: Fraction) -> bool:
    digits = shown.as_tuple().digits
    assert len(digits) <= 8
    unit = Fraction(10) ** (shown.adjusted() - 7)
    return abs(Fraction(shown) - exact) <= unit / 2


@given(base=st.sampled_from(CODES), currency=st.sampled_from(CODES), a=quotes, b=quotes)
def test_a_cross_is_the_exact_quotient_of_the_stored_rates_to_8_significant_digits(
    base: str, currency: str, a: Decimal, b: Decimal
) -> None:
    stored = {code: value for code, value in ((base, a), (currency, b)) if code != PIVOT}
    rates = stored_rates(repository_with(stored), [base, currency], None)
    (cross,) = crosses(base, [currency], rates, None)
    base_per_usd, currency_per_usd = Fraction(stored.get(base, 1)), Fraction(stored.get(currency, 1))
    assert within_half_unit_of_the_8th_digit(cross.rate, base_per_usd / currency_per_usd)
    assert within_half_unit_of_the_8th_digit(cross.inverse, currency_per_usd / base_per_usd)
    assert [leg.currency for leg in cross.legs] == [code for code in dict.fromkeys([base, currency]) if code != PIVOT]


@given(code=st.sampled_from(CODES), value=quotes)
def test_a_currency_in_itself_is_one(code: str, value: Decimal) -> None:
    rates = stored_rates(repository_with({} if code == PIVOT else {code: value}), [code], None)
    (cross,) = crosses(code, [code], rates, None)
    assert (cross.rate, cross.inverse) == (1, 1)


@given(source=st.sampled_from(CODES), target=st.sampled_from(CODES), a=quotes, b=quotes, amount=amounts)
def test_conversion_is_the_amount_times_the_rate_rates_shows_to_the_last_digit(
    source: str, target: str, a: Decimal, b: Decimal, amount: Decimal
) -> None:
    repo = repository_with({code: v for code, v in ((source, a), (target, b)) if code != PIVOT})
    rates = stored_rates(repo, [source, target], None)
    # What /rates shows: base=target&symbols=source gives `rate`, base=source&symbols=target gives `inverse`.
    (shown,) = crosses(target, [source], rates, None)
    (other_way,) = crosses(source, [target], rates, None)
    assert shown.rate == other_way.inverse
    by_hand = Context(prec=100).multiply(amount, shown.rate)
    assert convert(amount, shown.rate) == by_hand


def test_the_usd_base_gives_the_tickers_own_rate() -> None:
    repo = repository_with({"UZS": Decimal("12149.84")})
    (cross,) = crosses(PIVOT, ["UZS"], stored_rates(repo, ["UZS"], None), None)
    assert cross.rate == repo.entries["UZS"].current.usd_per_unit == Decimal("0.000082305611")
    assert cross.inverse == Decimal("12149.840")


def test_a_weekend_date_is_carried_forward_from_friday() -> None:
    repo = repository_with({"KZT": Decimal("474.86"), "UZS": Decimal("12150.37")})
    sunday = FRIDAY + timedelta(days=2)
    (cross,) = crosses("KZT", ["UZS"], stored_rates(repo, ["KZT", "UZS"], sunday), sunday)
    assert (cross.requested, cross.date, cross.carried_forward) == (sunday, FRIDAY, True)
    (same_day,) = crosses("KZT", ["UZS"], stored_rates(repo, ["KZT", "UZS"], FRIDAY), FRIDAY)
    assert (same_day.date, same_day.carried_forward) == (FRIDAY, False)


def test_the_date_used_is_the_oldest_of_the_two_rates() -> None:
    repo = repository_with({"KZT": Decimal("474.86")}, FRIDAY)
    repo.put_rate(DailyRate("RUB", FRIDAY + timedelta(days=1), Decimal("80.6512"), "CBR"), NOW)
    saturday = FRIDAY + timedelta(days=1)
    (cross,) = crosses("KZT", ["RUB"], stored_rates(repo, ["KZT", "RUB"], saturday), saturday)
    assert cross.date == FRIDAY and cross.carried_forward
    assert [(leg.currency, leg.effective_date) for leg in cross.legs] == [("KZT", FRIDAY), ("RUB", saturday)]


def test_a_rate_is_carried_forward_14_days_and_no_further() -> None:
    repo = repository_with({"KGS": Decimal("87.45")})
    last_day = FRIDAY + timedelta(days=MAX_CARRY_FORWARD_DAYS)
    assert stored_rates(repo, ["KGS"], last_day)["KGS"].effective_date == FRIDAY
    with pytest.raises(NoRate, match=r"No official KGS rate on 2026-12-05 or in the 14 days before it"):
        stored_rates(repo, ["KGS"], last_day + timedelta(days=1))


def test_a_date_before_any_stored_rate_has_none() -> None:
    repo = repository_with({"KGS": Decimal("87.45")})
    with pytest.raises(NoRate, match="2026-11-19"):
        stored_rates(repo, ["KGS"], FRIDAY - timedelta(days=1))


def test_the_earliest_calendar_date_is_answered_not_crashed() -> None:
    with pytest.raises(NoRate, match="0001-01-01"):
        stored_rates(repository_with({"KGS": Decimal("87.45")}), ["KGS"], date(1, 1, 1))


def test_latest_rates_need_a_stored_rate() -> None:
    with pytest.raises(NoRate, match="No rate is stored for EUR yet"):
        stored_rates(repository_with({"KGS": Decimal("87.45")}), ["EUR"], None)


def test_usd_needs_no_stored_rate() -> None:
    (cross,) = crosses(PIVOT, [PIVOT], stored_rates(InMemoryRatesRepository(), [PIVOT], None), None)
    assert (cross.rate, cross.legs, cross.date, cross.carried_forward) == (1, (), None, False)


def test_every_stored_currency_has_a_source_and_tmt_its_peg() -> None:
    assert set(STORED_CURRENCIES) == set(CODES) - {PIVOT}
    assert BY_CURRENCY["TMT"].peg_per_usd == Decimal("3.5")
    assert [c.code for c in CURRENCIES if c.peg_per_usd is not None] == ["TMT"]
    assert {c.code: c.numeric_code for c in CURRENCIES}["KZT"] == "398"
