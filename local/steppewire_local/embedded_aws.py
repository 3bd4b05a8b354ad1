"""Embedded AWS for `run` (and the tests of run mode): a moto server whose costs stay with the data.

Two moto behaviours made a long `make run` slower and bigger with every article published (1,460
articles: 655 MB after 150, 12 GB after 800; batches of 10 from 1.7 s to 9-39 s):

* `BaseModel.__new__` appends every model instance to its class's `instances_tracked` list, for the
  server's /moto-api dashboard, and never lets go. DynamoDB items are such models and moto copies items
  freely (every read result, every transaction's backup), so every copy of every item was kept: memory
  grew with the square of the articles. Nothing local uses the dashboard: instances are untracked.
* TransactWriteItems deep-copies every table it touches before applying, to roll back on failure: each
  publish copied the whole articles table. Here the transaction saves and restores only its own items.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

from moto.core.common_models import BaseModel
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.server import ThreadedMotoServer

_in_transaction = threading.local()
_moto_transact_write_items = DynamoDBBackend.transact_write_items


def start_embedded_aws(host: str, port: int) -> ThreadedMotoServer:
    """A started moto server on host:port (0 = any free port: ask it with `get_host_and_port()`)."""
    lean_moto()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def lean_moto() -> None:
    """Apply both changes to moto in this process (idempotent; `mock_aws` keeps working the same)."""
    BaseModel.__new__ = staticmethod(_untracked_instance)  # type: ignore[method-assign]
    Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]


def _untracked_instance(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    saved = [(table, key, copy.deepcopy(table.get_item(*key))) for table, key in _touched(self, transact_items)]
    _in_transaction.active = True  # moto's own backup of each table is then the table itself
    try:
        _moto_transact_write_items(self, transact_items)
    except Exception:
        for table, (hash_value, range_value), item in reversed(saved):
            table.delete_item(hash_value, range_value)
            if item is not None:
                _store(table, hash_value, range_value, item)
        raise
    finally:
        _in_transaction.active = False


def _touched(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Iterator[tuple[Table, Any]]:
    """(table, (hash value, range value)) of each item a transaction writes; moto reports malformed ones."""
    for entry in transact_items:
        for operation, spec in entry.items():
            table = backend.tables.get(spec.get("TableName"))
            if table is None or operation == "ConditionCheck":
                continue
            try:
                attributes = spec["Item"] if operation == "Put" else spec["Key"]
                key = {name: attributes[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
                yield table, backend.get_keys_value(table, key)
            except Exception:  # the transaction itself fails on this entry, with moto's error
                continue


def _store(table: Table, hash_value: Any, range_value: Any, item: Item) -> None:
    items: dict[Any, Any] = table.items
    if table.range_key_attr is None:
        items[hash_value] = item
    else:
        items[hash_value][range_value] = item


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    if getattr(_in_transaction, "active", False):
        return self
    duplicate = copy.copy(self)  # then what copy.deepcopy does for a plain object (table backups)
    memo[id(self)] = duplicate
    duplicate.__dict__ = copy.deepcopy(self.__dict__, memo)
    return duplicate
