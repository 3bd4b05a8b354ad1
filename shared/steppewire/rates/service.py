"""One ingestion run on real AWS and HTTP: what the scheduled function calls."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.observability import logger, metrics
from steppewire.rates.feeds import HttpGetter, fetch_all_feeds
from steppewire.rates.ingest import IngestReport, RatesIngestion
from steppewire.rates.sources import feed_url_overrides
from steppewire.settings import RatesSettings, load_settings
from steppewire.wiring import rates_repository


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
    return RatesIngestion(rates_repository(), now).run(on, sources, backfill=requested is not None)


def handle_ingest_event(event: Mapping[str, Any], remaining_seconds: float) -> dict[str, Any]:
    """The scheduled function's whole job: one run, each source's and currency's outcome logged and counted."""
    report = ingest_rates(requested_date(event), remaining_seconds)
    for source, result in report.sources.items():
        if result.error:
            logger.warning("rate source failed", extra={"source": source, "url": result.url, "error": result.error})
        metrics.add_metric(name="SourceFailed" if result.error else "SourceSucceeded", unit=MetricUnit.Count, value=1)
    for currency, outcome in report.currencies.items():
        metrics.add_metric(name=f"Rate{outcome.outcome.value.title()}", unit=MetricUnit.Count, value=1)
        logger.info(
            "currency outcome", extra={"currency": currency, "outcome": outcome.outcome, "detail": outcome.detail}
        )
    return report.as_dict()
