"""DynamoDB items <-> plain Python values, for the low-level client.

Numbers are Decimal both ways (never float); the few shapes our tables use are covered: strings,
numbers, booleans, null, lists and maps. A stand-in for boto3's TypeSerializer, whose import pulls in
all of boto3 at cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def to_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
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
        case "S" | "BOOL":
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
