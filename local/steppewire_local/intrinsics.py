"""CloudFormation intrinsic functions and conditions, evaluated locally.

Covers what SAM templates use for wiring: Ref (parameters, pseudo parameters, resources), Fn::GetAtt,
Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::FindInMap, Fn::Base64 and the condition functions.
Resources are looked up through `ResourceLookup`, so the resolver knows nothing about AWS.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol

from .template import cfn_str

ACCOUNT_ID: Final = "123456789012"  # moto's default account


class IntrinsicError(ValueError):
    """An intrinsic function cannot be evaluated locally."""


class _NoValue:
    """`Ref: AWS::NoValue` — the enclosing property (or list item) disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()


class ResourceLookup(Protocol):
    def ref(self, logical_id: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


def pseudo_parameters(stack_name: str, region: str) -> dict[str, Any]:
    stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"steppewire-local/{region}/{stack_name}")
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": region,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/{stack_uuid}",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


_SUB_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        resources: ResourceLookup,
        conditions: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
    ) -> None:
        self._parameters = parameters
        self._pseudo = pseudo
        self._resources = resources
        self._condition_exprs = conditions or {}
        self._mappings = mappings or {}
        self._condition_values: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self._condition_exprs:
            raise IntrinsicError(f"unknown condition {name!r}")
        if name in self._evaluating:
            raise IntrinsicError(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            value = self._truth(self._condition_exprs[name])
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = value
        return value

    def _truth(self, expr: Any) -> bool:
        if isinstance(expr, dict) and set(expr) == {"Condition"}:
            return self.condition(str(expr["Condition"]))
        value = self.resolve(expr)
        if not isinstance(value, bool):
            raise IntrinsicError(f"condition expression {expr!r} is not boolean")
        return value

    # ------------------------------------------------------------------ values
    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic inside `value`; AWS::NoValue entries are dropped from dicts/lists."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
            if key.startswith("Fn::"):  # Fn::ImportValue, Fn::GetAZs, …: fail here, not in an AWS call
                raise IntrinsicError(f"{key} is not supported locally")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def resolve_str(self, value: Any, what: str) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, list | dict) or resolved is NO_VALUE:
            raise IntrinsicError(f"{what} does not resolve to a string: {value!r}")
        return cfn_str(resolved)

    def _ref(self, name: Any) -> Any:
        name = self.resolve(name)
        if name in self._parameters:
            return self._parameters[name]
        if name in self._pseudo:
            return self._pseudo[name]
        if isinstance(name, str) and name.startswith("AWS::"):
            raise IntrinsicError(f"pseudo parameter {name} is not available locally")
        return self._resources.ref(str(name))

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        elif isinstance(arg, list) and len(arg) == 2:
            logical_id, attribute = str(arg[0]), self.resolve_str(arg[1], "Fn::GetAtt attribute")
        else:
            raise IntrinsicError(f"bad Fn::GetAtt argument {arg!r}")
        return self._resources.get_att(logical_id, attribute)

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, variables = self.resolve_str(arg[0], "Fn::Sub string"), self.resolve(arg[1])
        else:
            raise IntrinsicError(f"bad Fn::Sub argument {arg!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):  # ${!Literal} renders as ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name not in self._parameters and not name.startswith("AWS::"):
                value = self._get_att(name)
            else:
                value = self._ref(name)
            if isinstance(value, list | dict) or value is NO_VALUE:
                raise IntrinsicError(f"Fn::Sub variable ${{{name}}} is not a string")
            return cfn_str(value)

        return _SUB_PLACEHOLDER.sub(replace, text)

    def _join(self, arg: Any) -> str:
        delimiter, items = self._pair(arg, "Fn::Join")
        if not isinstance(items, list):
            raise IntrinsicError(f"Fn::Join needs a list, got {items!r}")
        return str(delimiter).join(cfn_str(item) for item in items)

    def _select(self, arg: Any) -> Any:
        index, items = self._pair(arg, "Fn::Select")
        if not isinstance(items, list):
            raise IntrinsicError(f"Fn::Select needs a list, got {items!r}")
        try:
            return items[int(index)]
        except (IndexError, ValueError):
            raise IntrinsicError(f"Fn::Select index {index!r} out of range for {items!r}") from None

    def _split(self, arg: Any) -> list[str]:
        delimiter, text = self._pair(arg, "Fn::Split")
        return cfn_str(text).split(str(delimiter))

    def _if(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise IntrinsicError(f"bad Fn::If argument {arg!r}")
        return self.resolve(arg[1] if self.condition(str(arg[0])) else arg[2])

    def _equals(self, arg: Any) -> bool:
        left, right = self._pair(arg, "Fn::Equals")
        return _comparable(left) == _comparable(right)

    def _not(self, arg: Any) -> bool:
        if not (isinstance(arg, list) and len(arg) == 1):
            raise IntrinsicError(f"bad Fn::Not argument {arg!r}")
        return not self._truth(arg[0])

    def _and(self, arg: Any) -> bool:
        return all(self._truth(item) for item in self._conditions_list(arg, "Fn::And"))

    def _or(self, arg: Any) -> bool:
        return any(self._truth(item) for item in self._conditions_list(arg, "Fn::Or"))

    def _find_in_map(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise IntrinsicError(f"bad Fn::FindInMap argument {arg!r}")
        name, top, second = (self.resolve_str(part, "Fn::FindInMap key") for part in arg)
        try:
            return self._mappings[name][top][second]
        except KeyError:
            raise IntrinsicError(f"Fn::FindInMap: no {name}/{top}/{second}") from None

    def _base64(self, arg: Any) -> str:
        return base64.b64encode(self.resolve_str(arg, "Fn::Base64").encode()).decode()

    def _pair(self, arg: Any, name: str) -> tuple[Any, Any]:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise IntrinsicError(f"{name} needs two arguments, got {arg!r}")
        return self.resolve(arg[0]), self.resolve(arg[1])

    @staticmethod
    def _conditions_list(arg: Any, name: str) -> Iterable[Any]:
        if not (isinstance(arg, list) and 2 <= len(arg) <= 10):
            raise IntrinsicError(f"{name} needs 2 to 10 conditions, got {arg!r}")
        return arg

    _FUNCTIONS: Final[dict[str, Callable[[Resolver, Any], Any]]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::Not": _not,
        "Fn::And": _and,
        "Fn::Or": _or,
        "Fn::FindInMap": _find_in_map,
        "Fn::Base64": _base64,
    }


def _comparable(value: Any) -> object:
    return value if isinstance(value, list | dict) else cfn_str(value)


def referenced_ids(value: Any) -> set[str]:
    """Logical ids (or parameter names) a value refers to via Ref, Fn::GetAtt or Fn::Sub placeholders."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                target = arg.partition(".")[0] if isinstance(arg, str) else arg[0] if arg else None
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0] if isinstance(arg, list) and arg else ""
                if isinstance(text, str):
                    for name in _SUB_PLACEHOLDER.findall(text):
                        if not name.startswith("!"):
                            found.add(name.strip().partition(".")[0])
                if isinstance(arg, list):
                    found |= referenced_ids(arg[1:])
            else:
                found |= referenced_ids(arg)
    return found
