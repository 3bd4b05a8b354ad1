"""History grouped by week or month (the last official rate of each period stands for it) and as CSV."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from steppewire.rates.history import Group, csv_text, grouped, period_label
from steppewire.rates.ticker import DailyRate


def rate(day: date, value: str = "474.86") -> DailyRate:
    return DailyRate("KZT", day, Decimal(value), "NBK")


def test_a_week_is_stood_for_by_its_last_official_rate_and_its_date() -> None:
    # Mon 2026-11-16 .. Fri 2026-11-20, then Mon 2026-11-23; no weekend sheets
    days = [date(2026, 11, 16) + timedelta(days=n) for n in (0, 1, 2, 3, 4, 7)]
    series = [rate(day, f"47{n}.5") for n, day in enumerate(days)]
    periods = grouped(series, Group.WEEK)
    assert [(p.label, p.rate.effective_date, p.rate.local_per_usd) for p in periods] == [
        ("2026-W47", date(2026, 11, 20), Decimal("474.5")),
        ("2026-W48", date(2026, 11, 23), Decimal("475.5")),
    ]


def test_a_month_is_stood_for_by_its_last_official_rate() -> None:
    series = [rate(date(2026, 10, 30), "470"), rate(date(2026, 10, 31), "471"), rate(date(2026, 11, 2), "472")]
    assert [(p.label, p.rate.local_per_usd) for p in grouped(series, Group.MONTH)] == [
        ("2026-10", Decimal("471")),
        ("2026-11", Decimal("472")),
    ]


def test_iso_weeks_cross_the_new_year() -> None:
    assert period_label(rate(date(2027, 1, 1)), Group.WEEK) == "2026-W53"
    assert period_label(rate(date(2024, 12, 30)), Group.WEEK) == "2025-W01"


@given(st.lists(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)), unique=True, max_size=60))
def test_grouping_keeps_one_rate_per_period_the_latest(days: list[date]) -> None:
    series = [rate(day) for day in sorted(days)]
    for group in Group:
        periods = grouped(series, group)
        labels = [p.label for p in periods]
        assert len(labels) == len(set(labels)) == len({period_label(r, group) for r in series})
        for period in periods:
            members = [r.effective_date for r in series if period_label(r, group) == period.label]
            assert period.rate.effective_date == max(members)
    assert [p.rate for p in grouped(series, Group.DAY)] == series


def test_csv_has_a_header_row_and_the_values_as_given() -> None:
    text = csv_text(("date", "rate"), [("2026-11-20", "0.0021058838"), ("2026-11-23", "0.000082305611")])
    assert text == "date,rate\r\n2026-11-20,0.0021058838\r\n2026-11-23,0.000082305611\r\n"
    assert list(csv.reader(io.StringIO(text))) == [
        ["date", "rate"],
        ["2026-11-20", "0.0021058838"],
        ["2026-11-23", "0.000082305611"],
    ]
