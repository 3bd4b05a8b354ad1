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


def _attribute_size(attribute: Mapping[str, Any]) -> int:
    (kind, value), *_ = attribute.items()
    match kind:
        case "S":
            return len(value.encode("utf-8"))
        case "B":
            return len(value)
        case "N":
            digits = len(Decimal(value).normalize().as_tuple().digits)
            return (digits + 1) // 2 + 1  # DynamoDB: about one byte per two significant digits, plus one
        case "BOOL" | "NULL":
            return 1
        case "L":
            return 3 + sum(1 + _attribute_size(element) for element in value)
        case "M":
            return 3 + sum(1 + len(name.encode("utf-8")) + _attribute_size(v) for name, v in value.items())
        case "SS":
            return sum(len(element.encode("utf-8")) for element in value)
    raise TypeError(f"unsupported DynamoDB attribute type {kind}")


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes DynamoDB bills for an item in wire format: attribute names plus values (its documented rules)."""
    return sum(len(name.encode("utf-8")) + _attribute_size(value) for name, value in item.items())
