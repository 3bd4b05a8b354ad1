"""HTTP routes of the rates API: the ticker and one currency's history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from steppewire.api.http_caching import cacheable
from steppewire.api.resolver import BadRequest, NotFound, decimal_text, documented
from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.rates.freshness import history_freshness, until_next_ingestion
from steppewire.rates.model import TICKER_CURRENCIES
from steppewire.rates.ticker import DailyRate, TickerEntry
from steppewire.wiring import rates_repository

router = APIGatewayRouter()
MAX_HISTORY_DAYS = 366
DEFAULT_HISTORY_DAYS = 30


class TickerItem(BaseModel):
    pair: str = Field(examples=["KGS/USD"])
    currency: str = Field(examples=["KGS"])
    rate: str = Field(description="USD per one unit of the currency, exact decimal", examples=["0.011435106"])
    local_per_usd: str = Field(description="The source's quote: units of the currency per USD", examples=["87.45"])
    change: str | None = Field(description="Absolute change of `rate` since previous_date")
    change_pct: str | None = Field(description="Percent change since previous_date, half-even, 2 places")
    date: dt.date
    previous_date: dt.date | None
    source: str = Field(description="NBK, NBKR, NBT, CBU, CBT, CBR (cross through RUB) or PEG")
    peg: bool = Field(description="True when the value is the official peg, not a published rate")
    stale: bool = Field(description="True when the latest run could not confirm this rate")
    stale_reason: str | None = None


class Ticker(BaseModel):
    base: str = "USD"
    items: list[TickerItem]


class HistoryPoint(BaseModel):
    date: dt.date
    rate: str
    local_per_usd: str
    source: str
    peg: bool


class History(BaseModel):
    pair: str
    currency: str
    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    items: list[HistoryPoint]


def _ticker_item(entry: TickerEntry) -> TickerItem:
    rate = entry.current
    return TickerItem(
        pair=rate.pair,
        currency=rate.currency,
        rate=decimal_text(rate.usd_per_unit),
        local_per_usd=decimal_text(rate.local_per_usd),
        change=None if entry.change is None else decimal_text(entry.change),
        change_pct=None if entry.change_pct is None else decimal_text(entry.change_pct),
        date=rate.effective_date,
        previous_date=entry.previous.effective_date if entry.previous else None,
        source=rate.source,
        peg=rate.peg,
        stale=entry.stale,
        stale_reason=entry.stale_reason,
    )


def _history_point(rate: DailyRate) -> HistoryPoint:
    return HistoryPoint(
        date=rate.effective_date,
        rate=decimal_text(rate.usd_per_unit),
        local_per_usd=decimal_text(rate.local_per_usd),
        source=rate.source,
        peg=rate.peg,
    )


@router.get(
    "/rates",
    summary="The ticker: each currency against USD with its change",
    tags=["rates"],
    responses=documented(Ticker),
    middlewares=[cacheable(lambda _: until_next_ingestion())],
)
def get_ticker() -> Ticker:
    entries = rates_repository().ticker()
    return Ticker(items=[_ticker_item(entries[cur]) for cur in TICKER_CURRENCIES if cur in entries])


@router.get(
    "/rates/<currency>/history",
    summary="Stored daily rates of one currency",
    tags=["rates"],
    responses=documented(History, 400, 404),
    middlewares=[cacheable(lambda history: history_freshness(dt.date.fromisoformat(history["to"])))],
)
def get_history(
    currency: Annotated[str, Path(description="KGS, KZT, TJS, UZS or TMT", max_length=8)],
    from_date: Annotated[
        dt.date | None, Query(alias="from", description="First date (default: 30 days before `to`)")
    ] = None,
    to_date: Annotated[dt.date | None, Query(alias="to", description="Last date (default: today, Asia/Almaty)")] = None,
) -> History:
    code = currency.upper()
    if code not in TICKER_CURRENCIES:
        raise NotFound(f"Unknown currency '{currency}': the ticker covers {', '.join(TICKER_CURRENCIES)}")
    end = to_date or dt.datetime.now(NEWSROOM_TIMEZONE).date()
    # By ordinal, not timedelta: `to=0001-01-05` has no date 30 days before it.
    start = from_date or dt.date.fromordinal(max(1, end.toordinal() - DEFAULT_HISTORY_DAYS))
    if start > end:
        raise BadRequest("from", f"'from' ({start}) is after 'to' ({end})")
    if (end - start).days >= MAX_HISTORY_DAYS:
        raise BadRequest("from", f"'from' ({start}) to 'to' ({end}) spans more than {MAX_HISTORY_DAYS} days")
    points = rates_repository().history(code, start, end)
    return History(
        pair=f"{code}/USD",
        currency=code,
        from_date=start,
        to_date=end,
        items=[_history_point(rate) for rate in points],
    )
