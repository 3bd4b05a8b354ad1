"""EventBridge Scheduler schedules and EventBridge schedule rules that target local functions.

AWS cron has six fields (minutes hours day-of-month month day-of-week year), `?` for "no value", and
numbers days of the week 1-7 = SUN-SAT; croniter has five fields and 0-6 = SUN-SAT. `next_fire_time`
translates, lets croniter do the calendar work in the schedule's time zone, and filters the year itself.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from .intrinsics import ACCOUNT_ID, Resolver

log = logging.getLogger("steppewire_local")

SCHEDULER_SCHEDULE: Final = "AWS::Scheduler::Schedule"
EVENTS_RULE: Final = "AWS::Events::Rule"

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


@dataclass(frozen=True)
class Schedule:
    schedule_id: str
    """Logical id of the schedule/rule (plus `.TargetId` when a rule has several local targets)."""
    function_id: str
    expression: str
    timezone: str
    input: Any
    """The target's Input (parsed); None for an EventBridge rule without Input (gets a Scheduled Event)."""
    enabled: bool
    rule_arn: str | None

    def event(self, fire_time: datetime, region: str) -> Any:
        if self.input is not None:
            return self.input
        return {  # what an EventBridge schedule rule sends when the target has no Input
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": fire_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [self.rule_arn],
            "detail": {},
        }


def schedules_from_template(
    resources: Mapping[str, dict[str, Any]], resolver: Resolver, functions: Mapping[str, str], region: str
) -> tuple[list[Schedule], list[str]]:
    """Schedules whose target is a local function; `functions` maps function ARN → logical id."""
    schedules: list[Schedule] = []
    warnings: list[str] = []
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == SCHEDULER_SCHEDULE:
            targets = [props["Target"]]
            timezone = resolver.resolve_str(props.get("ScheduleExpressionTimezone", "UTC"), "timezone")
            default_input: Any = {}
            rule_arn = None
        elif resource["Type"] == EVENTS_RULE and props.get("ScheduleExpression"):
            targets = props.get("Targets", [])
            timezone, default_input = "UTC", None
            name = resolver.resolve_str(props.get("Name", logical_id), "rule Name")
            rule_arn = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{name}"
        else:
            continue
        expression = resolver.resolve_str(props["ScheduleExpression"], f"{logical_id} ScheduleExpression")
        next_fire_time(expression, timezone)  # fail at deploy time on an invalid expression
        enabled = resolver.resolve_str(props.get("State", "ENABLED"), "State") == "ENABLED"
        for target in targets:
            arn = resolver.resolve_str(target["Arn"], f"{logical_id} target Arn")
            if arn not in functions:
                warnings.append(f"{logical_id}: schedule target {arn} is not a local function")
                continue
            if target.get("RetryPolicy") or target.get("DeadLetterConfig"):
                warnings.append(
                    f"{logical_id}: RetryPolicy/DeadLetterConfig not emulated (a failed run is only logged)"
                )
            schedule_id = logical_id if len(targets) == 1 else f"{logical_id}.{target.get('Id', arn)}"
            raw_input = target.get("Input")
            parsed = _parse_input(resolver.resolve_str(raw_input, "Input")) if raw_input else default_input
            schedules.append(Schedule(schedule_id, functions[arn], expression, timezone, parsed, enabled, rule_arn))
    return schedules, warnings


def _parse_input(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a plain string payload is allowed too


class ScheduleRunner:
    """One background thread firing each enabled schedule at its due time (and once at start)."""

    def __init__(self, schedules: list[Schedule], fire: Callable[[Schedule], object], *, fire_on_start: bool) -> None:
        self._schedules = [s for s in schedules if s.enabled]
        self._fire = fire
        self._fire_on_start = fire_on_start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        now = datetime.now(UTC)
        if self._fire_on_start:
            for schedule in self._schedules:
                if self._stop.is_set():
                    return
                self._safe_fire(schedule)
        due = {s.schedule_id: next_fire_time(s.expression, s.timezone, now) for s in self._schedules}
        while True:
            pending = [(when, s) for s in self._schedules if (when := due[s.schedule_id]) is not None]
            if not pending:
                self._stop.wait()
                return
            when, schedule = min(pending, key=lambda item: item[0])
            if self._stop.wait(max(0.0, (when - datetime.now(UTC)).total_seconds())):
                return
            self._safe_fire(schedule)
            # From "now", not from `when`: after a suspended laptop wakes up, fire once, don't catch up.
            due[schedule.schedule_id] = next_fire_time(
                schedule.expression, schedule.timezone, max(when, datetime.now(UTC))
            )

    def _safe_fire(self, schedule: Schedule) -> None:
        try:
            self._fire(schedule)
        except Exception:  # a failing target must not stop the other schedules
            log.exception("schedule %s failed", schedule.schedule_id)
