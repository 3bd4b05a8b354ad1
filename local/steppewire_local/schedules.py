"""EventBridge Scheduler schedules and EventBridge schedule rules that target local functions.

When an expression fires is `steppewire.schedule_expressions.next_fire_time`, shared with the rates API.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from steppewire.schedule_expressions import next_fire_time as next_fire_time  # re-exported by the package

from .intrinsics import ACCOUNT_ID, Resolver

log = logging.getLogger("steppewire_local")

SCHEDULER_SCHEDULE: Final = "AWS::Scheduler::Schedule"
EVENTS_RULE: Final = "AWS::Events::Rule"


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
