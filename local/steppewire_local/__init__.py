"""Steppe Wire's local runtime: template.yaml → moto resources + Lambda workers, API, schedules, SQS.

See `stack.LocalStack` (tests and embedding) and `cli` (`python -m steppewire_local run|invoke`).
The exports load lazily: a worker process imports `steppewire_local.workers`, and must not pay for
samtranslator, boto3 and the rest of the stack (its memory is reported against the function's MemorySize).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api_gateway import ApiResponse
    from .functions import FunctionSpec, Invocation
    from .schedules import next_fire_time
    from .stack import LocalStack
    from .template import TemplateError

_EXPORTS = {
    "ApiResponse": "api_gateway",
    "FunctionSpec": "functions",
    "Invocation": "functions",
    "LocalStack": "stack",
    "TemplateError": "template",
    "next_fire_time": "schedules",
}
__all__ = ["ApiResponse", "FunctionSpec", "Invocation", "LocalStack", "TemplateError", "next_fire_time"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
