"""The index table as DynamoDB bills and limits it: capacity per item, the 400 KB limit, unprocessed keys and
items retried with bounded, jittered exponential backoff (the pauses recorded, never slept)."""

from typing import Any

import boto3
import pytest
from moto import mock_aws

from steppewire.dynamo_items import item_size, to_item
from steppewire.search.index_store import (
    TOO_LARGE,
    Backoff,
    CapacityMeter,
    DynamoIndexTable,
    InMemoryIndexTable,
    ItemTooLarge,
    Unprocessed,
)


def item(pk: str, payload_bytes: int) -> dict[str, Any]:
    """An item of exactly `payload_bytes` + the size of its key attributes."""
    return {"pk": pk, "sk": "P", "b": b"x" * payload_bytes}


def size(values: dict[str, Any]) -> int:
    return item_size(to_item(values))


def test_a_new_item_costs_a_write_unit_per_started_kilobyte() -> None:
    table = InMemoryIndexTable()
    table.write_many([item("a", 2500), item("b", 10)], [])
    assert size(item("a", 2500)) < 3 * 1024
    assert table.meter.write_units == 3 + 1


def test_an_overwrite_costs_the_larger_of_the_old_and_the_new_item() -> None:
    table = InMemoryIndexTable()
    table.write_many([item("a", 5000)], [])
    before = table.meter.write_units
    table.write_many([item("a", 100)], [])  # shrinking: billed at the old 5 KB
    assert table.meter.write_units - before == 5
    before = table.meter.write_units
    table.write_many([item("a", 3000)], [])  # growing: billed at the new 3 KB
    assert table.meter.write_units - before == 3


def test_a_delete_costs_the_deleted_items_size_and_a_missing_one_the_minimum() -> None:
    table = InMemoryIndexTable()
    table.write_many([item("a", 9000)], [])
    before = table.meter.write_units
    table.write_many([], [("a", "P")])
    assert table.meter.write_units - before == 9
    before = table.meter.write_units
    table.write_many([], [("never", "P")])
    assert table.meter.write_units - before == 1
    assert table.items == {}


def test_a_read_costs_half_a_unit_per_started_4_kb_of_each_item_and_a_missing_key_the_minimum() -> None:
    table = InMemoryIndexTable()
    table.write_many([item("a", 9000), item("b", 10)], [])
    found = table.get_many([("a", "P"), ("b", "P"), ("c", "P")])
    assert set(found) == {("a", "P"), ("b", "P")}
    assert table.meter.read_units == 1.5 + 0.5 + 0.5
    assert table.meter.round_trips == 2  # one write, one read


def test_an_item_over_400_kb_is_refused_like_dynamodb_and_its_request_writes_nothing() -> None:
    table = InMemoryIndexTable()
    limit = 400 * 1024
    fits = item("fits", limit - size(item("fits", 0)))
    assert size(fits) == limit
    table.write_many([fits], [])
    with pytest.raises(ItemTooLarge, match=TOO_LARGE):
        table.write_many([item("small", 10), item("huge", limit)], [])
    assert set(table.items) == {("fits", "P")}


def test_a_key_twice_in_one_write_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicates"):
        InMemoryIndexTable().write_many([item("a", 1)], [("a", "P")])


def recording_backoff(**options: Any) -> tuple[Backoff, list[float]]:
    pauses: list[float] = []
    return Backoff(sleep=pauses.append, jitter=lambda: 1.0, **options), pauses


def test_unprocessed_items_and_keys_are_retried_until_done_and_billed_once() -> None:
    backoff, pauses = recording_backoff()
    throttled = InMemoryIndexTable(unprocessed=0.3, seed=3, backoff=backoff)
    plain = InMemoryIndexTable()
    items = [item(f"k{n}", 1500) for n in range(60)]
    keys = [(f"k{n}", "P") for n in range(70)]
    for table in (throttled, plain):
        table.write_many(items, [])
        assert len(table.get_many(keys)) == 60
    assert throttled.items == plain.items
    assert (throttled.meter.write_units, throttled.meter.read_units) == (
        plain.meter.write_units,
        plain.meter.read_units,
    )
    assert throttled.meter.round_trips > plain.meter.round_trips
    assert pauses and set(pauses) <= {0.05 * 2**n for n in range(10)}  # per request: 0.05 s, then doubling


def test_retries_are_bounded_and_their_pauses_capped() -> None:
    backoff, pauses = recording_backoff(attempts=12, cap_s=1.0)
    table = InMemoryIndexTable(unprocessed=1.0, backoff=backoff)
    with pytest.raises(Unprocessed, match="after 12 retries"):
        table.write_many([item("a", 10)], [])
    assert pauses == [0.05, 0.1, 0.2, 0.4, 0.8] + [1.0] * 7  # jitter pinned to its top
    assert table.items == {} and table.meter.write_units == 0


def test_the_pause_is_jittered_between_zero_and_the_exponential_bound() -> None:
    backoff = Backoff(sleep=lambda _: None, jitter=lambda: 0.25)
    waits: list[float] = []
    Backoff(sleep=waits.append, jitter=lambda: 0.25).pause(3)
    assert waits == [0.25 * 0.05 * 8]
    assert backoff.cap_s > backoff.base_s


class ThrottlingClient:
    """Just enough of the DynamoDB client for the adapter: it leaves the first request's last key or item
    unprocessed, as a throttled table answers."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls = 0

    def _throttle(self, requests: list[Any]) -> tuple[list[Any], list[Any]]:
        self.calls += 1
        return (requests[:-1], requests[-1:]) if self.calls == 1 else (requests, [])

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        ((table, request),) = RequestItems.items()
        done, left = self._throttle(request["Keys"])
        found = [self.items[(k["pk"]["S"], k["sk"]["S"])] for k in done if (k["pk"]["S"], k["sk"]["S"]) in self.items]
        return {"Responses": {table: found}, "UnprocessedKeys": {table: {"Keys": left}} if left else {}}

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        ((table, requests),) = RequestItems.items()
        done, left = self._throttle(requests)
        for request in done:
            if "PutRequest" in request:
                wire = request["PutRequest"]["Item"]
                self.items[(wire["pk"]["S"], wire["sk"]["S"])] = wire
            else:
                key = request["DeleteRequest"]["Key"]
                self.items.pop((key["pk"]["S"], key["sk"]["S"]), None)
        return {"UnprocessedItems": {table: left} if left else {}}


def test_the_dynamodb_adapter_retries_with_backoff_and_bills_what_it_has_seen() -> None:
    backoff, pauses = recording_backoff()
    client = ThrottlingClient()
    table = DynamoIndexTable(client, "SearchTable", CapacityMeter(), backoff)  # type: ignore[arg-type]
    table.write_many([item("a", 5000), item("b", 10)], [])
    assert set(client.items) == {("a", "P"), ("b", "P")}
    assert (table.meter.round_trips, table.meter.write_units, pauses) == (2, 5 + 1, [0.05])
    table.write_many([item("a", 100)], [("b", "P")])  # known sizes: the larger of old and new, the deleted one
    assert table.meter.write_units == 6 + 5 + 1
    reader = DynamoIndexTable(client, "SearchTable", CapacityMeter())
    assert set(reader.get_many([("a", "P"), ("b", "P")])) == {("a", "P")}
    assert reader.meter.read_units == 0.5 + 0.5
    reader.write_many([], [("a", "P")])  # read before: billed at its size
    assert reader.meter.write_units == 1


def partition() -> list[dict[str, Any]]:
    """A large term's items as the engine reads them lean: a full chunk, a part-filled one, the tail."""
    return [
        {"pk": "T#x", "sk": "L0", "b": b"x" * 3000},
        {"pk": "T#x", "sk": "L1", "b": b"x" * 400},
        {"pk": "T#x", "sk": "P", "b": b"x" * 200},
        {"pk": "T#x", "sk": "C0", "b": b"x" * 9000},  # sorts before the range: not read
        {"pk": "T#y", "sk": "P", "b": b"x" * 10},
    ]


def test_a_query_costs_half_a_unit_per_started_4_kb_of_all_it_returns_and_goes_with_the_batch() -> None:
    table = InMemoryIndexTable()
    table.write_many(partition(), [])
    keys = [("T#x", "L0"), ("T#x", "L1"), ("T#x", "P")]
    assert sum(size(i) for i in partition()[:3]) < 4096
    before = table.meter.read_units
    assert set(table.get_many(keys)) == set(keys)
    assert table.meter.read_units - before == 1.5  # one by one: each rounds up
    before, trips, requests = table.meter.read_units, table.meter.round_trips, table.meter.requests
    found = table.read([("T#y", "P")], [("T#x", "L", "P"), ("T#none", "L", "P")])
    assert set(found) == {*keys, ("T#y", "P")}
    assert table.meter.read_units - before == 0.5 + 0.5 + 0.5  # the key, the range summed, the empty range
    assert (table.meter.round_trips - trips, table.meter.requests - requests) == (1, 3)  # sent together


def test_the_dynamodb_adapter_queries_and_bills_as_the_in_memory_table() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-central-1")
        client.create_table(
            TableName="SearchTable",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamo = DynamoIndexTable(client, "SearchTable")
        memory = InMemoryIndexTable()
        for table in (dynamo, memory):
            table.write_many(partition(), [])
        ranges = [("T#x", "L", "P"), ("T#y", "A", "Z"), ("T#none", "L", "P")]
        assert dynamo.read([("T#x", "C0")], ranges) == memory.read([("T#x", "C0")], ranges)
        assert (dynamo.meter.read_units, dynamo.meter.round_trips, dynamo.meter.requests) == (
            memory.meter.read_units,
            memory.meter.round_trips,
            memory.meter.requests,
        )
