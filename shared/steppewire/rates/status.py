"""How each rate source is doing: its last success and last failure, recorded by every live ingestion run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

# A sheet older than this is stale even if its source answers: the longest ordinary gap between two
# sheets is a long weekend (Friday's sheet on Tuesday morning).
STALE_AFTER_DAYS = 4


@dataclass(frozen=True)
class SourceStatus:
    source: str
    last_success_at: datetime | None = None
    last_sheet_date: date | None = None  # the effective date of the last usable sheet
    last_failure_at: datetime | None = None
    last_error: str | None = None

    def after_run(self, at: datetime, sheet_date: date | None, error: str | None) -> SourceStatus:
        """The status once a run at `at` got a usable sheet of `sheet_date`, or failed with `error`."""
        if sheet_date is not None:
            return replace(self, last_success_at=at, last_sheet_date=sheet_date)
        return replace(self, last_failure_at=at, last_error=error)

    def stale_reason(self, today: date) -> str | None:
        """Why the source's latest rate cannot be trusted to be current, or None when it can."""
        if self.last_success_at is None or self.last_sheet_date is None:
            return "no usable sheet recorded yet"
        if self.last_failure_at is not None and self.last_failure_at > self.last_success_at:
            return f"the latest run failed: {self.last_error}"
        age = (today - self.last_sheet_date).days
        if age > STALE_AFTER_DAYS:
            return f"its latest sheet is dated {self.last_sheet_date}, {age} days before {today}"
        return None
