"""HTTP routes of the rates API: the ticker and any cross, conversions, one currency's history, the
currencies and the sources."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from steppewire.api.http_caching import cacheable
from steppewire.api.resolver import BadRequest, NotFound, decimal_text, documented
from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.rates.cross import Cross, NoRate, convert, crosses, stored_rates
from steppewire.rates.currencies import BY_CURRENCY, CURRENCIES, PIVOT, STORED_CURRENCIES, TICKER_CURRENCIES
from steppewire.rates.freshness import SOURCE_STATUS, rates_freshness, until_next_ingestion
from steppewire.rates.history import Group, csv_text, grouped
from steppewire.rates.sources import SOURCES
from steppewire.rates.status import SourceStatus
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
    updated_at: dt.datetime | None = Field(
        None, description="When the ticker last changed (its newest entry's write): the answer's Last-Modified"
    )


class HistoryPoint(BaseModel):
    period: str = Field(description="The day, ISO week (2026-W47) or month (2026-11) this point stands for")
    date: dt.date = Field(description="The rate's own date: for a week or month, its last official rate's")
    rate: str
    local_per_usd: str
    source: str
    peg: bool


class History(BaseModel):
    pair: str
    currency: str
    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    group: Group = Group.DAY
    items: list[HistoryPoint]


class CrossLeg(BaseModel):
    """One stored official rate a cross goes through."""

    currency: str
    source: str = Field(description="The bank whose rate it is: NBK, NBKR, NBT, CBU, CBT, CBR or PEG")
    date: dt.date
    local_per_usd: str = Field(description="Units of the currency per USD, as stored")
    peg: bool


class CrossItem(BaseModel):
    pair: str = Field(examples=["UZS/KZT"])
    currency: str = Field(examples=["UZS"])
    rate: str = Field(description="Units of base per one unit of the currency, 8 significant digits")
    inverse: str = Field(description="Units of the currency per one unit of base, 8 significant digits")
    date: dt.date | None = Field(description="The oldest date of the rates used (null for USD in USD)")
    carried_forward: bool = Field(description="True when that date is before the requested date")
    sources: list[CrossLeg] = Field(description="The stored rates used (none for USD, the pivot)")


class CrossRates(BaseModel):
    base: str
    requested_date: dt.date | None = Field(description="The `date` asked for; null for the latest rates")
    items: list[CrossItem]


class Conversion(BaseModel):
    from_currency: str = Field(serialization_alias="from")
    to: str
    amount: str
    result: str = Field(description="amount x rate, exactly (no rounding beyond the rate's own)")
    rate: str = Field(description="Units of `to` per one unit of `from`, 8 significant digits, as /rates shows it")
    requested_date: dt.date | None
    date: dt.date | None = Field(description="The oldest date of the rates used")
    carried_forward: bool
    sources: list[CrossLeg]


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def _with_csv(answers: dict[int, OpenAPIResponse]) -> dict[int, OpenAPIResponse]:
    """The answers of a route whose 200 may also be CSV (a header row, then exact decimals)."""
    ok = answers[200]
    return answers | {200: {**ok, "content": {**ok.get("content", {}), "text/csv": {"schema": {"type": "string"}}}}}


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


def _history_point(rate: DailyRate, period: str) -> HistoryPoint:
    return HistoryPoint(
        period=period,
        date=rate.effective_date,
        rate=decimal_text(rate.usd_per_unit),
        local_per_usd=decimal_text(rate.local_per_usd),
        source=rate.source,
        peg=rate.peg,
    )


@router.get(
    "/rates",
    summary="The ticker (each currency against USD with its change), or any base, symbols and date",
    description="Without `base`, `symbols` and `date`: the ticker. With any of them: cross rates (see CrossRates).",
    tags=["rates"],
    responses=documented(Ticker, 400, 404)
    | {
        200: {
            "description": "Successful Response",
            "content": {content_types.APPLICATION_JSON: {"model": Ticker | CrossRates}},
        }
    },
    middlewares=[
        cacheable(lambda arguments: rates_freshness(arguments["on"]), last_modified=lambda a: a.get("updated_at"))
    ],
)
def get_ticker(
    base: Annotated[
        str | None, Query(description="The currency rates are expressed in (default USD)", max_length=8)
    ] = None,
    symbols: Annotated[
        str | None, Query(description="Comma-separated currencies (default: all but base)", max_length=100)
    ] = None,
    on: Annotated[
        dt.date | None, Query(alias="date", description="The latest official rate on or before it (14 days at most)")
    ] = None,
) -> Ticker | CrossRates:
    if base is None and symbols is None and on is None:
        entries = rates_repository().ticker()
        shown = [entries[cur] for cur in TICKER_CURRENCIES if cur in entries]
        changed = max((entry.updated_at for entry in shown if entry.updated_at is not None), default=None)
        return Ticker(items=[_ticker_item(entry) for entry in shown], updated_at=changed)
    return cross_rates(base, symbols, on)


@router.get(
    "/rates/<currency>/history",
    summary="Stored daily rates of one currency, by day, week or month, as JSON or CSV",
    tags=["rates"],
    responses=_with_csv(documented(History, 400, 404)),
    # Vary: Accept, as `Accept: text/csv` gets CSV (ApiHistoryCachePolicy keys the edge's cache on it).
    middlewares=[cacheable(lambda arguments: rates_freshness(arguments["to_date"]), vary=("Accept",))],
)
def get_history(
    currency: Annotated[str, Path(description=", ".join(STORED_CURRENCIES), max_length=8)],
    from_date: Annotated[
        dt.date | None, Query(alias="from", description="First date (default: 30 days before `to`)")
    ] = None,
    to_date: Annotated[dt.date | None, Query(alias="to", description="Last date (default: today, Asia/Almaty)")] = None,
    group: Annotated[
        Group, Query(description="day, or week (ISO) / month: each stood for by its last official rate")
    ] = Group.DAY,
    output: Annotated[
        Literal["json", "csv"] | None, Query(alias="format", description="csv, as `Accept: text/csv` asks too")
    ] = None,
) -> Response[History | str]:
    code = currency.upper()
    if code not in STORED_CURRENCIES:
        raise NotFound(f"Unknown currency '{currency}': rates are stored for {', '.join(STORED_CURRENCIES)}")
    end = to_date or dt.datetime.now(NEWSROOM_TIMEZONE).date()
    # By ordinal, not timedelta: `to=0001-01-05` has no date 30 days before it.
    start = from_date or dt.date.fromordinal(max(1, end.toordinal() - DEFAULT_HISTORY_DAYS))
    if start > end:
        raise BadRequest("from", f"'from' ({start}) is after 'to' ({end})")
    if (end - start).days >= MAX_HISTORY_DAYS:
        raise BadRequest("from", f"'from' ({start}) to 'to' ({end}) spans more than {MAX_HISTORY_DAYS} days")
    periods = grouped(rates_repository().history(code, start, end), group)
    history = History(
        pair=f"{code}/USD",
        currency=code,
        from_date=start,
        to_date=end,
        group=group,
        items=[_history_point(period.rate, period.label) for period in periods],
    )
    if output == "csv" or (output is None and _wants_csv()):
        return Response(200, CSV_CONTENT_TYPE, _history_csv(history))
    return Response(200, content_types.APPLICATION_JSON, history)


def _wants_csv() -> bool:
    accept = router.current_event.headers.get("accept") or ""  # case-insensitive
    return "text/csv" in accept.lower()


HISTORY_CSV_HEADER = ("period", "date", "currency", "rate", "local_per_usd", "source", "peg")


def _history_csv(history: History) -> str:
    rows = (
        (p.period, p.date.isoformat(), history.currency, p.rate, p.local_per_usd, p.source, str(p.peg).lower())
        for p in history.items
    )
    return csv_text(HISTORY_CSV_HEADER, rows)


def _currency_code(parameter: str, value: str) -> str:
    code = value.strip().upper()
    if code not in BY_CURRENCY:
        raise BadRequest(parameter, f"Unknown currency '{value}' in '{parameter}': known are {', '.join(BY_CURRENCY)}")
    return code


def _rate_date(on: dt.date | None) -> dt.date | None:
    today = dt.datetime.now(NEWSROOM_TIMEZONE).date()
    if on is not None and on > today:
        raise BadRequest("date", f"'date' ({on}) is after today ({today} in Asia/Almaty): no rate is known yet")
    return on


def _legs(cross: Cross) -> list[CrossLeg]:
    return [
        CrossLeg(
            currency=leg.currency,
            source=leg.source,
            date=leg.effective_date,
            local_per_usd=decimal_text(leg.local_per_usd),
            peg=leg.peg,
        )
        for leg in cross.legs
    ]


def _crosses(base: str, codes: list[str], on: dt.date | None) -> list[Cross]:
    try:
        rates = stored_rates(rates_repository(), [base, *codes], on)
    except NoRate as missing:
        raise NotFound(str(missing)) from missing
    return crosses(base, codes, rates, on)


def cross_rates(base: str | None, symbols: str | None, on: dt.date | None) -> CrossRates:
    """`/rates` with a base, symbols or a date."""
    base_code = _currency_code("base", base or PIVOT)
    if symbols is None:
        codes = [c.code for c in CURRENCIES if c.code != base_code]
    else:
        codes = list(dict.fromkeys(_currency_code("symbols", s) for s in symbols.split(",") if s.strip()))
        if not codes:
            raise BadRequest("symbols", "'symbols' names no currency")
    on = _rate_date(on)
    items = [
        CrossItem(
            pair=f"{cross.currency}/{base_code}",
            currency=cross.currency,
            rate=decimal_text(cross.rate),
            inverse=decimal_text(cross.inverse),
            date=cross.date,
            carried_forward=cross.carried_forward,
            sources=_legs(cross),
        )
        for cross in _crosses(base_code, codes, on)
    ]
    return CrossRates(base=base_code, requested_date=on, items=items)


@router.get(
    "/rates/convert",
    summary="Convert an amount between any two currencies through the official rates",
    tags=["rates"],
    responses=documented(Conversion, 400, 404),
    middlewares=[cacheable(lambda arguments: rates_freshness(arguments["on"]))],
)
def get_conversion(
    from_currency: Annotated[str, Query(alias="from", description="The amount's currency", max_length=8)],
    to: Annotated[str, Query(description="The currency to convert to", max_length=8)],
    amount: Annotated[
        Decimal,
        Query(
            description="A positive amount, at most 18 digits, 8 after the point", gt=0, max_digits=18, decimal_places=8
        ),
    ],
    on: Annotated[
        dt.date | None, Query(alias="date", description="The latest official rate on or before it (14 days at most)")
    ] = None,
) -> Conversion:
    source_code, target_code = _currency_code("from", from_currency), _currency_code("to", to)
    on = _rate_date(on)
    # The rate `to` per `from` is /rates' `rate` of base=to&symbols=from (and `inverse` of base=from&symbols=to).
    (cross,) = _crosses(target_code, [source_code], on)
    return Conversion(
        from_currency=source_code,
        to=target_code,
        amount=decimal_text(amount),
        result=decimal_text(convert(amount, cross.rate)),
        rate=decimal_text(cross.rate),
        requested_date=on,
        date=cross.date,
        carried_forward=cross.carried_forward,
        sources=_legs(cross),
    )


class CurrencyInfo(BaseModel):
    code: str = Field(examples=["KZT"])
    numeric_code: str = Field(description="ISO 4217 numeric code", examples=["398"])
    name: str = Field(description="The name in the requested language")
    name_en: str
    name_ru: str
    symbol: str
    country: str = Field(description="In the requested language")
    primary_source: str | None = Field(description="The source whose rate is stored (null for USD, the pivot)")
    fallback_source: str | None
    peg_per_usd: str | None = Field(description="The official peg, units per USD (TMT 3.5), served when all fail")
    first_date: dt.date | None = Field(description="The first stored rate's date")
    last_date: dt.date | None = Field(description="The latest stored rate's date")


class Currencies(BaseModel):
    lang: str
    items: list[CurrencyInfo]


@router.get(
    "/currencies",
    summary="The currencies served: codes, names, symbol, country, sources, peg and stored range",
    tags=["rates"],
    responses=documented(Currencies),
    # Its last stored dates move with the next run.
    middlewares=[cacheable(lambda _: until_next_ingestion())],
)
def get_currencies(
    lang: Annotated[Literal["en", "ru"], Query(description="Language of `name` and `country`")] = "en",
) -> Currencies:
    repository = rates_repository()
    latest = repository.ticker()
    items = [
        CurrencyInfo(
            code=c.code,
            numeric_code=c.numeric_code,
            name=c.name(lang),
            name_en=c.name_en,
            name_ru=c.name_ru,
            symbol=c.symbol,
            country=c.country(lang),
            primary_source=c.primary,
            fallback_source=c.fallback,
            peg_per_usd=None if c.peg_per_usd is None else decimal_text(c.peg_per_usd),
            first_date=repository.first_date(c.code) if c.code in latest else None,
            last_date=latest[c.code].current.effective_date if c.code in latest else None,
        )
        for c in CURRENCIES
    ]
    return Currencies(lang=lang, items=items)


class SourceInfo(BaseModel):
    source: str = Field(examples=["NBK"])
    base: str = Field(description="The currency its sheet quotes everything in")
    publishing_window: str = Field(description="When a new sheet is expected (observed, UTC unless stated)")
    last_success_at: dt.datetime | None
    last_sheet_date: dt.date | None = Field(description="The effective date of its last usable sheet")
    last_failure_at: dt.datetime | None
    last_error: str | None
    stale: bool = Field(description="True when its latest rate cannot be taken as current")
    stale_reason: str | None


class Sources(BaseModel):
    items: list[SourceInfo]


@router.get(
    "/rates/sources",
    summary="Each bank's last success and failure, publishing window and whether its rate is stale",
    tags=["rates"],
    responses=documented(Sources),
    middlewares=[cacheable(SOURCE_STATUS)],
)
def get_sources() -> Sources:
    statuses = rates_repository().source_statuses()
    today = dt.datetime.now(NEWSROOM_TIMEZONE).date()
    items = []
    for source in SOURCES:
        status = statuses.get(source.code, SourceStatus(source.code))
        reason = status.stale_reason(today)
        items.append(
            SourceInfo(
                source=source.code,
                base=source.base,
                publishing_window=source.window,
                last_success_at=status.last_success_at,
                last_sheet_date=status.last_sheet_date,
                last_failure_at=status.last_failure_at,
                last_error=status.last_error,
                stale=reason is not None,
                stale_reason=reason,
            )
        )
    return Sources(items=items)
