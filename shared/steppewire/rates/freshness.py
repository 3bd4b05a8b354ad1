"""How long a rates answer stays true: until the next scheduled ingestion has stored its rates, and never
past midnight in Almaty (where "today", the default end of a history, changes); a range that ended
before today, or rates of a past date, for a day (only a backfill changes them).

The schedule is the template's (Mappings RatesIngestion), given to the rates API in its environment.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from steppewire.api.http_caching import CLOSED, Freshness
from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.schedule_expressions import next_fire_time
from steppewire.settings import load_settings

# A run stores its rates within its one-minute Timeout: an answer read at the firing time could predate
# them, so it expires after the run, not at its start.
INGESTION_SETTLE: Final = timedelta(minutes=2)
SOURCE_STATUS: Final = Freshness(60)  # a bank's last success or failure: a run is seen within a minute


@dataclasses.dataclass(frozen=True)
class IngestSchedule:
    rates_ingest_schedule: str
    rates_ingest_timezone: str


def until_next_ingestion(now: datetime | None = None) -> Freshness:
    schedule = load_settings(IngestSchedule)
    now = now or datetime.now(UTC)
    # The first firing whose run is over after now: one still running counts.
    fired = next_fire_time(schedule.rates_ingest_schedule, schedule.rates_ingest_timezone, now - INGESTION_SETTLE)
    midnight = datetime.combine(now.astimezone(NEWSROOM_TIMEZONE).date() + timedelta(days=1), time(), NEWSROOM_TIMEZONE)
    expires = midnight if fired is None else min(fired + INGESTION_SETTLE, midnight)
    return Freshness(int((expires - now).total_seconds()))


def rates_freshness(last_day: date | None, now: datetime | None = None) -> Freshness:
    """Of rates up to `last_day` (a history's `to`, a cross's or conversion's `date`; None: the latest)."""
    today = (now or datetime.now(UTC)).astimezone(NEWSROOM_TIMEZONE).date()
    return CLOSED if last_day is not None and last_day < today else until_next_ingestion(now)
