"""DynamoDB items <-> plain Python values, for the low-level client.

Numbers are Decimal both ways (never float); the few shapes our tables use are covered: strings,
numbers, booleans, null, lists and maps. A stand-in for boto3's TypeSerializer, whose import pulls in
all of boto3 at cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any


def to_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, Decimal):
        return {"N": format(value, "f")}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, Mapping):
        return {"M": to_item(value)}
    raise TypeError(f"no DynamoDB type for {type(value).__name__} (floats are refused on purpose)")


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    (kind, value), *_ = attribute.items()
    match kind:
        case "S" | "BOOL" | "B":
            return value
        case "N":
            return Decimal(value)
        case "NULL":
            return None
        case "L":
            return [from_attribute(v) for v in value]
        case "M":
            return from_item(value)
        case "SS":
            return set(value)
    raise TypeError(f"unsupported DynamoDB attribute type {kind}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: to_attribute(value) for name, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: from_attribute(value) for name, value in item.items()}


@lru_cache(maxsize=1 << 12)  # the same few numbers (counts, flags, minutes) recur across an index's items
def _number_size(value: str) -> int:
    digits = len(Decimal(value).normalize().as_tuple().digits)
    return (digits + 1) // 2 + 1  # DynamoDB: about one byte per two significant digits, plus one


def _attribute_size(attribute: Mapping[str, Any]) -> int:
    (kind, value), *_ = attribute.items()
    # The common kinds first, without a match statement's sequence of comparisons.
    if kind == "S":
        return len(value) if value.isascii() else len(value.encode("utf-8"))
    if kind == "B":
        return len(value)
    if kind == "N":
        return _number_size(value)
    match kind:
        case "BOOL" | "NULL":
            return 1
        case "L":
            return 3 + sum(1 + _attribute_size(element) for element in value)
        case "M":
            return 3 + item_size(value) + len(value)
        case "SS":
            return sum(len(element.encode("utf-8")) for element in value)
    raise TypeError(f"unsupported DynamoDB attribute type {kind}")


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes DynamoDB bills for an item in wire format: attribute names plus values (its documented rules)."""
    size = 0
    for name, value in item.items():
        size += (len(name) if name.isascii() else len(name.encode("utf-8"))) + _attribute_size(value)
    return size
