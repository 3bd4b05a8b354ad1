"""The search index's table: batched reads and writes, each metered by DynamoDB's billing rules.

The keys and items are `schema.py`'s. Capacity is computed from item sizes, since DynamoDB Local and moto
report constants; the same meter, batching and retry loop run on the in-memory table the benchmark and the
unit tests use, which also enforces the 400 KB item limit and can leave keys or items unprocessed.

Billing (on-demand, eventually consistent reads): a BatchGetItem costs 0.5 RCU per started 4 KB of each item
(a key that is not there the minimum); a Query 0.5 RCU per started 4 KB of the items it returns, summed
(nothing returned: the minimum), so a partition's small items cost less read by one Query than one by one; a
put 1 WCU per started KB of the larger of the old and the new item; a delete 1 WCU per started KB of the
deleted item (1 if there was none). Unprocessed keys and items are not billed; they are sent again after an
exponentially growing, fully jittered pause (the AWS SDKs' way), a bounded number of times. Requests that do
not depend on each other are sent together (the DynamoDB adapter: from threads) and count one round trip.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from steppewire.dynamo_items import from_item, item_size, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Key = tuple[str, str]
# A partition key and the sort keys from and to (inclusive): one Query.
KeyRange = tuple[str, str, str]
Found = dict[Key, tuple[dict[str, Any], int]]  # what one request returned: items with their sizes
READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
ITEM_LIMIT_BYTES = 400 * 1024
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
TOO_LARGE = "Item size has exceeded the maximum allowed size"  # DynamoDB's ValidationException message


@dataclass
class CapacityMeter:
    """Round trips (the waits for an answer, retries included: requests sent together are one), requests,
    and capacity units as DynamoDB bills them."""

    round_trips: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    requests: int = 0

    def read(self, sizes: Iterable[int]) -> None:
        # BatchGetItem rounds every item up on its own; a key that is not there still costs the minimum.
        self.read_units += sum(max(1, math.ceil(size / READ_UNIT_BYTES)) * 0.5 for size in sizes)

    def query(self, sizes: Iterable[int]) -> None:
        # A Query (a page of it) sums the sizes of the items it returns, then rounds up once.
        self.read_units += max(1, math.ceil(sum(sizes) / READ_UNIT_BYTES)) * 0.5

    def put(self, new_size: int, old_size: int | None) -> None:
        self.write_units += billed_write_units(max(new_size, old_size or 0))

    def delete(self, old_size: int | None) -> None:
        self.write_units += billed_write_units(old_size or 0)


def billed_write_units(size: int) -> int:
    """What DynamoDB bills a write of an item of `size` bytes: one unit per started KB, at least one."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


class ItemTooLarge(ValueError):
    """What DynamoDB answers (a ValidationException) to a write of an item over 400 KB: the whole request fails."""


class Unprocessed(RuntimeError):
    """Keys or items were still unprocessed after every retry (throttling): the caller's batch fails, to be retried."""


@dataclass(frozen=True)
class Backoff:
    """Retries of unprocessed keys and items: the n-th waits a random time in [0, min(cap, base * 2**n))."""

    base_s: float = 0.05
    cap_s: float = 2.0
    attempts: int = 10
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def pause(self, retry: int) -> None:
        self.sleep(self.jitter() * min(self.cap_s, self.base_s * 2**retry))


class IndexTable(Protocol):
    meter: CapacityMeter

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        """Present items by key: `read` without ranges (requests of 100 keys, sent together)."""
        ...

    def read(self, keys: Sequence[Key], ranges: Sequence[KeyRange]) -> dict[Key, dict[str, Any]]:
        """The items of these keys and of these key ranges (one Query each), all requested together: one round
        trip (plus retries of unprocessed keys and further pages of a range over 1 MB)."""
        ...

    def write_many(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None: ...

    def keys_with_prefix(self, prefix: str) -> list[Key]:
        """Admin path only (reindex): every key whose pk starts with `prefix`. Never on a query path."""
        ...


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _key_of(item: Mapping[str, Any]) -> Key:
    return (str(item["pk"]), str(item["sk"]))


class _BatchedTable:
    """BatchGetItem/BatchWriteItem in requests of 100/25, unprocessed ones retried with backoff, all metered.
    A subclass answers one request (`_get_batch`, `_write_batch`) and knows the size of an item it replaces
    (`_stored_size`)."""

    def __init__(self, meter: CapacityMeter | None, backoff: Backoff | None) -> None:
        self.meter = meter or CapacityMeter()
        self._backoff = backoff or Backoff()

    def _get_batch(self, keys: Sequence[Key]) -> tuple[dict[Key, tuple[dict[str, Any], int]], list[Key]]:
        """The items found (with their sizes) and the keys left unprocessed, for one request."""
        raise NotImplementedError

    def _write_batch(
        self, puts: Sequence[dict[str, Any]], deletes: Sequence[Key], sizes: Mapping[Key, int]
    ) -> list[Key]:
        """Apply one request of wire-format puts (`sizes`: their sizes by key) and deletes; the keys left
        unprocessed."""
        raise NotImplementedError

    def _query_page(self, key_range: KeyRange, start: Key | None) -> tuple[Found, Key | None]:
        """One page of a Query (after `start`, the last key of the page before): its items, the page's last key
        if more follow."""
        raise NotImplementedError

    def _together(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        """Send these requests at once (this table: one after the other, as fast; the DynamoDB adapter: threads)."""
        return [call() for call in calls]

    def _stored_size(self, key: Key) -> int | None:
        raise NotImplementedError

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        return self.read(keys, ())

    def read(self, keys: Sequence[Key], ranges: Sequence[KeyRange]) -> dict[Key, dict[str, Any]]:
        found: dict[Key, dict[str, Any]] = {}
        pending = list(dict.fromkeys(keys))
        pages: list[tuple[KeyRange, Key | None]] = [(key_range, None) for key_range in dict.fromkeys(ranges)]
        retry = 0
        while pending or pages:
            if retry > self._backoff.attempts:
                raise Unprocessed(f"{len(pending)} keys unprocessed after {self._backoff.attempts} retries")
            batches = list(_chunks(pending, BATCH_GET_LIMIT))
            calls: list[Callable[[], Any]] = [partial(self._get_batch, batch) for batch in batches]
            calls += [partial(self._query_page, *page) for page in pages]
            self.meter.round_trips += 1
            self.meter.requests += len(calls)
            answers = self._together(calls)
            pending = []
            for batch, (answered, left) in zip(batches, answers[: len(batches)], strict=True):
                missing = len(batch) - len(left) - len(answered)  # keys not there: billed the minimum
                self.meter.read([size for _, size in answered.values()] + [0] * missing)
                found |= {key: item for key, (item, _) in answered.items()}
                pending += left
            next_pages = []
            for (key_range, _), (answered, last) in zip(pages, answers[len(batches) :], strict=True):
                self.meter.query([size for _, size in answered.values()])
                found |= {key: item for key, (item, _) in answered.items()}
                if last is not None:
                    next_pages.append((key_range, last))
            pages = next_pages
            if pending:  # throttled: pause before the next round, as get_many does
                self._backoff.pause(retry)
                retry += 1
        return found

    def write_many(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None:
        keys = [_key_of(item) for item in puts] + list(deletes)
        if len(set(keys)) < len(keys):
            raise ValueError("Provided list of item keys contains duplicates")  # as DynamoDB refuses them
        requests: list[Mapping[str, Any] | Key] = [*puts, *deletes]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            # Converted a request at a time: a bulk batch's puts are most of the index.
            chunk = [
                (key, to_item(request) if isinstance(request, Mapping) else None)
                for key, request in zip(
                    keys[start : start + BATCH_WRITE_LIMIT], requests[start : start + BATCH_WRITE_LIMIT], strict=True
                )
            ]
            # Sized once: the limit check, the meter and the subclass's record of what it stores all need it.
            sizes = {key: item_size(item) for key, item in chunk if item is not None}
            for key, size in sizes.items():
                if size > ITEM_LIMIT_BYTES:
                    raise ItemTooLarge(f"{TOO_LARGE}: {key[0]}/{key[1]}")
            pending = dict(chunk)
            for retry in range(self._backoff.attempts + 1):
                if retry:
                    self._backoff.pause(retry - 1)
                self.meter.round_trips += 1
                old_sizes = {key: self._stored_size(key) for key in pending}
                left = set(
                    self._write_batch(
                        [item for item in pending.values() if item is not None],
                        [key for key, item in pending.items() if item is None],
                        sizes,
                    )
                )
                for key, item in pending.items():
                    if key in left:
                        continue
                    if item is None:
                        self.meter.delete(old_sizes[key])
                    else:
                        self.meter.put(sizes[key], old_sizes[key])
                pending = {key: item for key, item in pending.items() if key in left}
                if not pending:
                    break
            else:
                raise Unprocessed(f"{len(pending)} items unprocessed after {self._backoff.attempts} retries")


class DynamoIndexTable(_BatchedTable):
    """The real table. DynamoDB does not say what an item it replaces weighed: the adapter remembers the size
    of every item it has read or written, and bills an item it has not seen as new (the indexer reads what it
    rewrites; the search function only reads)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        meter: CapacityMeter | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(meter, backoff)
        self._client = client
        self._table = table_name
        self._sizes: dict[Key, int | None] = {}
        self._pool: ThreadPoolExecutor | None = None  # made on the first read of several requests at once

    def _get_batch(self, keys: Sequence[Key]) -> tuple[dict[Key, tuple[dict[str, Any], int]], list[Key]]:
        request: dict[str, Any] = {self._table: {"Keys": [to_item({"pk": pk, "sk": sk}) for pk, sk in keys]}}
        answer = self._client.batch_get_item(RequestItems=request)
        found: dict[Key, tuple[dict[str, Any], int]] = {}
        for raw in answer.get("Responses", {}).get(self._table, []):
            item = from_item(raw)
            found[_key_of(item)] = (item, item_size(raw))
        unprocessed: dict[str, Any] = dict(answer.get("UnprocessedKeys") or {})
        left = [(str(key["pk"]["S"]), str(key["sk"]["S"])) for key in unprocessed.get(self._table, {}).get("Keys", [])]
        self._sizes |= {key: None for key in keys if key not in found and key not in left}
        self._sizes |= {key: size for key, (_, size) in found.items()}
        return found, left

    def _write_batch(
        self, puts: Sequence[dict[str, Any]], deletes: Sequence[Key], sizes: Mapping[Key, int]
    ) -> list[Key]:
        requests: list[Any] = [{"PutRequest": {"Item": item}} for item in puts]
        requests += [{"DeleteRequest": {"Key": to_item({"pk": pk, "sk": sk})}} for pk, sk in deletes]
        answer = self._client.batch_write_item(RequestItems={self._table: requests})
        left = []
        for request in (answer.get("UnprocessedItems") or {}).get(self._table, []):
            wire = request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
            left.append((str(wire["pk"]["S"]), str(wire["sk"]["S"])))
        for item in puts:
            key = (str(item["pk"]["S"]), str(item["sk"]["S"]))
            if key not in left:
                self._sizes[key] = sizes[key]
        self._sizes |= {key: None for key in deletes if key not in left}
        return left

    def _query_page(self, key_range: KeyRange, start: Key | None) -> tuple[Found, Key | None]:
        pk, low, high = key_range
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
        }
        if start is not None:
            request["ExclusiveStartKey"] = to_item({"pk": start[0], "sk": start[1]})
        answer = self._client.query(**request)
        found: Found = {}
        for raw in answer.get("Items", []):
            item = from_item(raw)
            found[_key_of(item)] = (item, item_size(raw))
        self._sizes |= {key: size for key, (_, size) in found.items()}
        last = answer.get("LastEvaluatedKey")
        return found, (str(last["pk"]["S"]), str(last["sk"]["S"])) if last else None

    def _together(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        if len(calls) < 2:
            return [call() for call in calls]
        if self._pool is None:  # botocore's clients are thread-safe; its pool keeps 10 connections per host
            self._pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="index-read")
        return list(self._pool.map(lambda call: call(), calls))

    def _stored_size(self, key: Key) -> int | None:
        return self._sizes.get(key)

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


class InMemoryIndexTable(_BatchedTable):
    """The same table in a dict, metered identically: for the benchmark's large corpora and unit tests.
    `unprocessed` (a share in [0, 1), with `seed`) leaves that share of each request's keys or items unprocessed,
    at random but reproducibly, as a throttled table does; the retries then pause through `backoff`."""

    def __init__(self, *, unprocessed: float = 0.0, seed: int = 0, backoff: Backoff | None = None) -> None:
        super().__init__(None, backoff or Backoff(sleep=lambda _: None))
        self._items: dict[Key, dict[str, Any]] = {}
        self._partitions: dict[str, set[str]] | None = None  # sort keys by partition, for Query; made when needed
        self._sizes: dict[Key, int] = {}
        self._unprocessed = unprocessed
        self._rng = random.Random(seed)

    @property
    def items(self) -> dict[Key, dict[str, Any]]:
        return self._items

    @items.setter
    def items(self, items: dict[Key, dict[str, Any]]) -> None:
        """Items placed directly (a test, the benchmark): their partitions are listed again on the next Query."""
        self._items = items
        self._partitions = None

    def _left_over(self, keys: Sequence[Key]) -> list[Key]:
        if not self._unprocessed:
            return []
        return [key for key in keys if self._rng.random() < self._unprocessed]

    def _get_batch(self, keys: Sequence[Key]) -> tuple[dict[Key, tuple[dict[str, Any], int]], list[Key]]:
        left = self._left_over(keys)
        skipped = set(left)
        found = {
            key: (dict(self.items[key]), self._size(key)) for key in keys if key in self.items and key not in skipped
        }
        return found, left

    def _size(self, key: Key) -> int:
        # Cached as written; computed for an item a test or the benchmark placed in `items` directly.
        if key not in self._sizes:
            self._sizes[key] = item_size(to_item(self.items[key]))
        return self._sizes[key]

    def _write_batch(
        self, puts: Sequence[dict[str, Any]], deletes: Sequence[Key], sizes: Mapping[Key, int]
    ) -> list[Key]:
        keys = [(str(item["pk"]["S"]), str(item["sk"]["S"])) for item in puts]
        left = self._left_over([*keys, *deletes])
        skipped = set(left)
        for key in deletes:
            if key not in skipped:
                self.items.pop(key, None)
                self._sizes.pop(key, None)
                if self._partitions is not None and key[0] in self._partitions:
                    self._partitions[key[0]].discard(key[1])
        for key, item in zip(keys, puts, strict=True):
            if key not in skipped:
                self.items[key] = from_item(item)
                self._sizes[key] = sizes[key]
                if self._partitions is not None:
                    self._partitions.setdefault(key[0], set()).add(key[1])
        return left

    def _query_page(self, key_range: KeyRange, start: Key | None) -> tuple[Found, Key | None]:
        # One page holds everything here: the 1 MB page limit matters to the DynamoDB adapter only.
        if self._partitions is None:
            self._partitions = {}
            for pk, sk in self.items:
                self._partitions.setdefault(pk, set()).add(sk)
        pk, low, high = key_range
        sort_keys = sorted(sk for sk in self._partitions.get(pk, ()) if low <= sk <= high)
        return {(pk, sk): (dict(self.items[(pk, sk)]), self._size((pk, sk))) for sk in sort_keys}, None

    def _stored_size(self, key: Key) -> int | None:
        return self._size(key) if key in self.items else None

    def item_sizes(self) -> dict[Key, int]:
        """Every item's size as the meter bills it (the benchmark's index figures), without sizing them anew."""
        return {key: self._size(key) for key in self.items}

    def keys_with_prefix(self, prefix: str) -> list[Key]:
        return [key for key in self.items if key[0].startswith(prefix)]
