"""A currency's stored series, by day or grouped by ISO week or calendar month, and as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from steppewire.rates.ticker import DailyRate


class Group(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """One group: its label (2026-11-20, 2026-W47 or 2026-11) and the rate that stands for it, the last
    official rate of the period (its own date says which day that was)."""

    label: str
    rate: DailyRate


def period_label(rate: DailyRate, group: Group) -> str:
    day = rate.effective_date
    if group is Group.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group is Group.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def grouped(rates: Iterable[DailyRate], group: Group) -> list[Period]:
    """Oldest first in, oldest first out: per period, the last rate wins."""
    last: dict[str, DailyRate] = {}
    for rate in rates:
        last[period_label(rate, group)] = rate
    return [Period(label, rate) for label, rate in last.items()]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 CSV (CRLF line ends), a header row first; the values are already exact decimal text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
