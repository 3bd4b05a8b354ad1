"""Wiring of one ingestion run to real AWS and HTTP: what the scheduled function calls."""

from __future__ import annotations

from datetime import date, datetime

import boto3

from steppewire.rates.feeds import HttpGetter, fetch_all_feeds
from steppewire.rates.ingest import IngestReport, RatesIngestion
from steppewire.rates.model import RATES_TIMEZONE
from steppewire.rates.repository import DynamoRatesRepository
from steppewire.settings import get_rates_settings


def ingest_rates(requested: date | None) -> IngestReport:
    settings = get_rates_settings()
    now = datetime.now(RATES_TIMEZONE)
    getter = HttpGetter(settings.rates_http_timeout_seconds, settings.rates_http_attempts)
    on = requested or now.date()
    sources = fetch_all_feeds(on, settings.feed_url_overrides(), getter)
    repository = DynamoRatesRepository(boto3.client("dynamodb"), settings.rates_table_name)
    return RatesIngestion(repository, now).run(on, sources, backfill=requested is not None)
