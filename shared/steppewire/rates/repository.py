"""Where rates live. The domain sees the Protocol; DynamoDB is one implementation of it.

Table layout (one table, string keys `pk`/`sk`, no Scan anywhere):
  pk `RATE#<CUR>`  sk `<YYYY-MM-DD>`   one item per currency and effective date (history, change base)
  pk `TICKER`      sk `<CUR>`          the ticker entry: latest rate, the one before, stale flag
  pk `SOURCE`      sk `<SOURCE>`       a source's last success and last failure (live runs)
Access patterns: history = Query on `RATE#<CUR>` between two dates; "the rate of a date and the one
before it" = the same Query, newest first, up to that date, Limit 2; the first stored date = the same
Query, oldest first, Limit 1; ticker = one Query on `TICKER`; source statuses = one Query on `SOURCE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from steppewire.dynamo_items import from_item, to_item
from steppewire.rates.status import SourceStatus
from steppewire.rates.ticker import DailyRate, TickerEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class RatesRepository(Protocol):
    def put_rate(self, rate: DailyRate, fetched_at: datetime) -> None: ...

    def latest_rates(self, currency: str, up_to: date, limit: int) -> list[DailyRate]:
        """Newest first, effective dates on or before `up_to`."""
        ...

    def history(self, currency: str, start: date, end: date) -> list[DailyRate]:
        """Oldest first, both ends included."""
        ...

    def ticker(self) -> dict[str, TickerEntry]: ...

    def put_ticker_entry(self, entry: TickerEntry, updated_at: datetime) -> None: ...

    def first_date(self, currency: str) -> date | None:
        """The oldest effective date stored for the currency."""
        ...

    def source_statuses(self) -> dict[str, SourceStatus]: ...

    def put_source_status(self, status: SourceStatus) -> None: ...


def _rate_pk(currency: str) -> str:
    return f"RATE#{currency}"


_SOURCE_PK = "SOURCE"


def _rate_attributes(rate: DailyRate, prefix: str = "") -> dict[str, Any]:
    return {
        f"{prefix}date": rate.effective_date.isoformat(),
        # DynamoDB trims trailing zeros of numbers (87.4500 -> 87.45); do it here so every store agrees.
        f"{prefix}local_per_usd": rate.local_per_usd.normalize(),
        f"{prefix}source": rate.source,
        f"{prefix}peg": rate.peg,
    }


def _rate_from(currency: str, item: Mapping[str, Any], prefix: str = "") -> DailyRate:
    return DailyRate(
        currency=currency,
        effective_date=date.fromisoformat(item[f"{prefix}date"]),
        local_per_usd=Decimal(item[f"{prefix}local_per_usd"]),
        source=item[f"{prefix}source"],
        peg=bool(item[f"{prefix}peg"]),
    )


class DynamoRatesRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _put(self, item: Mapping[str, Any]) -> None:
        self._client.put_item(TableName=self._table, Item=to_item(item))

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self._client.query(TableName=self._table, **kwargs)
            items += [from_item(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page or ("Limit" in kwargs and len(items) >= kwargs["Limit"]):
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_rate(self, rate: DailyRate, fetched_at: datetime) -> None:
        self._put(
            {
                "pk": _rate_pk(rate.currency),
                "sk": rate.effective_date.isoformat(),
                **_rate_attributes(rate),
                "usd_per_unit": rate.usd_per_unit,
                "fetched_at": fetched_at.isoformat(),
            }
        )

    def latest_rates(self, currency: str, up_to: date, limit: int) -> list[DailyRate]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND sk <= :up_to",
            ExpressionAttributeValues={":pk": {"S": _rate_pk(currency)}, ":up_to": {"S": up_to.isoformat()}},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [_rate_from(currency, item) for item in items[:limit]]

    def history(self, currency: str, start: date, end: date) -> list[DailyRate]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
            ExpressionAttributeValues={
                ":pk": {"S": _rate_pk(currency)},
                ":start": {"S": start.isoformat()},
                ":end": {"S": end.isoformat()},
            },
        )
        return [_rate_from(currency, item) for item in items]

    def ticker(self) -> dict[str, TickerEntry]:
        items = self._query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "TICKER"}})
        entries = {}
        for item in items:
            currency = item["sk"]
            previous = _rate_from(currency, item, "previous_") if "previous_date" in item else None
            entries[currency] = TickerEntry(
                current=_rate_from(currency, item),
                previous=previous,
                stale=bool(item.get("stale", False)),
                stale_reason=item.get("stale_reason"),
                updated_at=datetime.fromisoformat(item["updated_at"]) if "updated_at" in item else None,
            )
        return entries

    def put_ticker_entry(self, entry: TickerEntry, updated_at: datetime) -> None:
        item: dict[str, Any] = {
            "pk": "TICKER",
            "sk": entry.current.currency,
            **_rate_attributes(entry.current),
            "stale": entry.stale,
            "updated_at": updated_at.isoformat(),
        }
        if entry.previous is not None:
            item.update(_rate_attributes(entry.previous, "previous_"))
        if entry.stale_reason:
            item["stale_reason"] = entry.stale_reason
        self._put(item)

    def first_date(self, currency: str) -> date | None:
        items = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _rate_pk(currency)}},
            ProjectionExpression="sk",
            Limit=1,
        )
        return date.fromisoformat(items[0]["sk"]) if items else None

    def source_statuses(self) -> dict[str, SourceStatus]:
        items = self._query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": _SOURCE_PK}})
        return {item["sk"]: _status_from(item) for item in items}

    def put_source_status(self, status: SourceStatus) -> None:
        values = {
            "last_success_at": status.last_success_at,
            "last_sheet_date": status.last_sheet_date,
            "last_failure_at": status.last_failure_at,
            "last_error": status.last_error,
        }
        present = {name: v if isinstance(v, str) else v.isoformat() for name, v in values.items() if v is not None}
        self._put({"pk": _SOURCE_PK, "sk": status.source, **present})


def _status_from(item: Mapping[str, Any]) -> SourceStatus:
    def when(name: str) -> datetime | None:
        return datetime.fromisoformat(item[name]) if name in item else None

    return SourceStatus(
        source=item["sk"],
        last_success_at=when("last_success_at"),
        last_sheet_date=date.fromisoformat(item["last_sheet_date"]) if "last_sheet_date" in item else None,
        last_failure_at=when("last_failure_at"),
        last_error=item.get("last_error"),
    )
