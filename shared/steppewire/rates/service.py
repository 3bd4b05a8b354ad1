"""Wiring of one ingestion run to real AWS and HTTP: what the scheduled function calls."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from steppewire.aws import dynamodb_client
from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.rates.feeds import HttpGetter, fetch_all_feeds
from steppewire.rates.ingest import IngestReport, RatesIngestion
from steppewire.rates.repository import DynamoRatesRepository
from steppewire.rates.sources import feed_url_overrides
from steppewire.settings import RatesSettings, load_settings


def requested_date(event: Mapping[str, Any]) -> date | None:
    """The backfill date of a scheduled event, if any (a plain scheduled event carries none).

    Parsed by hand, not with pydantic: the ingest function otherwise never loads pydantic, which would
    add ~100 ms to its cold start.
    """
    value = event.get("date")
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str) and len(value) == len("YYYY-MM-DD"):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"event field 'date' must be a calendar date like 2026-11-23, got {value!r}")


# What a run keeps for storing and the ticker after the last fetch: ~20 DynamoDB calls take ~1 s.
STORE_RESERVE_SECONDS = 5.0


def ingest_rates(requested: date | None, remaining_seconds: float) -> IngestReport:
    """One run, its fetches bounded so that it ends well inside the `remaining_seconds` of the function."""
    settings = load_settings(RatesSettings)
    now = datetime.now(NEWSROOM_TIMEZONE)
    deadline = time.monotonic() + remaining_seconds - STORE_RESERVE_SECONDS
    getter = HttpGetter(settings.rates_http_timeout_seconds, settings.rates_http_attempts, deadline=deadline)
    on = requested or now.date()
    sources = fetch_all_feeds(on, feed_url_overrides(os.environ), getter)
    repository = DynamoRatesRepository(dynamodb_client(), settings.rates_table_name)
    return RatesIngestion(repository, now).run(on, sources, backfill=requested is not None)
