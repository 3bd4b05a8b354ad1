"""The search index's table: batched reads and writes, each metered by DynamoDB's billing rules.

Keys (`pk`/`sk`, see docs/search.md): `T#<term>`/`P` posting lists, `P#<prefix>`/`P` prefix
vocabularies, `DOC#<id>`/`DOC` result rows, `SLUG#<slug>`/`SLUG` what a document was indexed under,
`STATS`/`STATS` corpus statistics and facet codes. Capacity is computed from item sizes, since
DynamoDB Local and moto report constants; the same meter runs on the in-memory table the benchmark uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from steppewire.dynamo_items import from_item, item_size, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Key = tuple[str, str]
READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25


@dataclass
class CapacityMeter:
    """Round trips and capacity units, eventually consistent reads (0.5 RCU per started 4 KB per item)."""

    round_trips: int = 0
    read_units: float = 0.0
    write_units: float = 0.0

    def read(self, sizes: Iterable[int]) -> None:
        # BatchGetItem rounds every item up on its own; a key that is not there still costs the minimum.
        self.read_units += sum(max(1, math.ceil(size / READ_UNIT_BYTES)) * 0.5 for size in sizes)

    def wrote(self, sizes: Iterable[int]) -> None:
        self.write_units += sum(max(1, math.ceil(size / WRITE_UNIT_BYTES)) for size in sizes)


class IndexTable(Protocol):
    meter: CapacityMeter

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        """Present items by key; one round trip per 100 keys (plus retries of unprocessed keys)."""
        ...

    def write_many(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None: ...

    def keys_with_prefix(self, prefix: str) -> list[Key]:
        """Admin path only (reindex): every key whose pk starts with `prefix`. Never on a query path."""
        ...


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class DynamoIndexTable:
    def __init__(self, client: DynamoDBClient, table_name: str, meter: CapacityMeter | None = None) -> None:
        self._client = client
        self._table = table_name
        self.meter = meter or CapacityMeter()

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        found: dict[Key, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self._table: {"Keys": [to_item({"pk": pk, "sk": sk}) for pk, sk in chunk]}}
            returned_sizes: list[int] = []
            while request:
                self.meter.round_trips += 1
                answer = self._client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self._table, []):
                    item = from_item(raw)
                    returned_sizes.append(item_size(raw))
                    found[(item["pk"], item["sk"])] = item
                request = answer.get("UnprocessedKeys") or {}
            self.meter.read(returned_sizes + [0] * (len(chunk) - len(returned_sizes)))
        return found

    def write_many(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None:
        requests = [{"PutRequest": {"Item": to_item(item)}} for item in puts]
        requests += [{"DeleteRequest": {"Key": to_item({"pk": pk, "sk": sk})}} for pk, sk in deletes]
        self.meter.wrote([item_size(r["PutRequest"]["Item"]) for r in requests if "PutRequest" in r])
        self.meter.wrote([0] * len(deletes))
        for chunk in _chunks(requests, BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {self._table: list(chunk)}
            while pending:
                self.meter.round_trips += 1
                pending = self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def keys_with_prefix(self, prefix: str) -> list[Key]:
        keys: list[Key] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "pk, sk",
            "FilterExpression": "begins_with(pk, :prefix)",
            "ExpressionAttributeValues": {":prefix": {"S": prefix}},
        }
        while True:
            page = self._client.scan(**request)
            keys += [(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return keys
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class InMemoryIndexTable:
    """The same table in a dict, metered identically: for the benchmark's large corpora and unit tests."""

    def __init__(self) -> None:
        self.items: dict[Key, dict[str, Any]] = {}
        self.meter = CapacityMeter()

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        unique = list(dict.fromkeys(keys))
        self.meter.round_trips += math.ceil(len(unique) / BATCH_GET_LIMIT)
        found = {key: dict(self.items[key]) for key in unique if key in self.items}
        self.meter.read([item_size(to_item(item)) for item in found.values()] + [0] * (len(unique) - len(found)))
        return found

    def write_many(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None:
        self.meter.round_trips += math.ceil((len(puts) + len(deletes)) / BATCH_WRITE_LIMIT)
        self.meter.wrote([item_size(to_item(item)) for item in puts] + [0] * len(deletes))
        for key in deletes:
            self.items.pop(key, None)
        for item in puts:
            self.items[(item["pk"], item["sk"])] = dict(item)

    def keys_with_prefix(self, prefix: str) -> list[Key]:
        return [key for key in self.items if key[0].startswith(prefix)]
