"""Steppe Wire's local runtime: template.yaml → moto resources + in-process Lambda, API, schedules, SQS.

See `stack.LocalStack` (tests and embedding) and `cli` (`python -m steppewire_local run|invoke`).
"""

from .api_gateway import ApiResponse
from .functions import FunctionSpec, Invocation
from .schedules import next_fire_time
from .stack import LocalStack
from .template import TemplateError

__all__ = ["ApiResponse", "FunctionSpec", "Invocation", "LocalStack", "TemplateError", "next_fire_time"]
