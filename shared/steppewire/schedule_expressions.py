"""When an AWS schedule expression fires next: `cron(...)`, `rate(...)` and `at(...)`, in a time zone.

In the layer because the rates API dates its Cache-Control by the ingest schedule; the local stack fires
its schedules with it too. AWS cron has six fields (minutes hours day-of-month month day-of-week year),
`?` for "no value", and numbers days of the week 1-7 = SUN-SAT; croniter has five fields and 0-6 =
SUN-SAT. `next_fire_time` translates, lets croniter do the calendar work in the schedule's time zone,
and filters the year itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

_RATE: Final = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_CRON: Final = re.compile(r"cron\((.*)\)")
_AT: Final = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
_RATE_UNITS: Final = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def next_fire_time(expression: str, tz: str = "UTC", after: datetime | None = None) -> datetime | None:
    """The first time strictly after `after` (default: now) when `expression` fires, in zone `tz`.

    Supports `cron(...)`, `rate(N unit)` (due N units after `after`) and one-time `at(...)`;
    None when the schedule never fires again. Raises ValueError for an invalid expression.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None
    if after is None:
        after = datetime.now(UTC)
    elif after.tzinfo is None:
        after = after.replace(tzinfo=UTC)  # a naive `after` means UTC
    start = after.astimezone(zone)
    expression = expression.strip()
    if rate := _RATE.fullmatch(expression):
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ValueError(f"{expression}: AWS wants 'rate(1 {unit.rstrip('s')})' or 'rate(N {unit.rstrip('s')}s)'")
        return start + value * _RATE_UNITS[unit.rstrip("s")]
    if at := _AT.fullmatch(expression):
        when = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone)
        return when if when > start else None
    if cron := _CRON.fullmatch(expression):
        return _next_cron(cron.group(1), start)
    raise ValueError(f"unsupported schedule expression {expression!r} (cron(...), rate(...) or at(...))")


def _next_cron(body: str, start: datetime) -> datetime | None:
    fields = body.split()
    if len(fields) != 6:
        raise ValueError(f"cron({body}): AWS cron needs 6 fields (min hour day-of-month month day-of-week year)")
    minute, hour, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError(f"cron({body}): exactly one of day-of-month and day-of-week must be '?'")
    expression = " ".join(
        [minute, hour, "*" if day_of_month == "?" else day_of_month, month, _croniter_weekdays(day_of_week)]
    )
    years = _years(year, body)
    try:
        iterator = croniter(expression, start)
        while True:
            candidate: datetime = iterator.get_next(datetime)
            if years is None or candidate.year in years:
                return candidate
            later = [y for y in years if y > candidate.year]
            if not later:
                return None
            # Jump to just before the next allowed year instead of stepping through the ones between.
            iterator = croniter(expression, datetime(min(later), 1, 1, tzinfo=start.tzinfo) - timedelta(seconds=1))
    except ValueError as exc:  # croniter's errors subclass ValueError
        raise ValueError(f"cron({body}): {exc}") from exc


def _croniter_weekdays(field: str) -> str:
    """AWS day-of-week (1-7 = SUN-SAT, `?`, `L`, `#`) → croniter (0-6 = SUN-SAT). Names pass through."""
    if field == "?":
        return "*"

    def shift(token: str) -> str:
        return str(int(token) - 1) if token.isdigit() else token

    items = []
    for item in field.split(","):
        if last := re.fullmatch(r"(\w+)L", item):  # 6L = last Friday → croniter L5
            items.append("L" + shift(last.group(1)))
            continue
        days, separator, suffix = _split_suffix(item)
        items.append("-".join(shift(part) for part in days.split("-")) + separator + suffix)
    return ",".join(items)


def _split_suffix(item: str) -> tuple[str, str, str]:
    """'2-6/2' → ('2-6', '/', '2'); '6#3' → ('6', '#', '3'): the suffix is a step or an nth, not a day."""
    match = re.fullmatch(r"([^/#]*)([/#]?)(.*)", item)
    assert match is not None  # the pattern matches any string
    return match.group(1), match.group(2), match.group(3)


def _years(field: str, body: str) -> set[int] | None:
    if field == "*":
        return None
    years: set[int] = set()
    for item in field.split(","):
        low, _, high = item.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f"cron({body}): unsupported year field {field!r}")
        years.update(range(int(low), int(high or low) + 1))
    return years
