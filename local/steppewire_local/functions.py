"""Run Lambda handlers in this process, one invocation at a time.

Like a single-worker emulator: a global lock serialises invocations because each one swaps
`os.environ` to the function's configuration (Lambda gives every function its own process; we cannot).
Modules are imported lazily and stay imported (a warm container). Timeouts are not enforced — a thread
cannot be killed — but `get_remaining_time_in_millis()` counts down as in Lambda.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("steppewire_local")

_INVOKE_LOCK = threading.Lock()


@dataclass(frozen=True)
class FunctionSpec:
    """Everything needed to invoke a function; JSON-serialisable so `invoke` mode can load it from state."""

    logical_id: str
    function_name: str
    arn: str
    module: str
    handler: str
    """Attribute of `module` called with (event, context)."""
    import_root: str
    layer_paths: list[str]
    """Local layer directories, appended to sys.path (Lambda's /opt/python)."""
    timeout_s: int
    memory_mb: int
    region: str
    environment: dict[str, str]
    """Resolved `Environment.Variables`."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FunctionSpec:
        return cls(**data)


@dataclass(frozen=True)
class Invocation:
    function_id: str
    request_id: str
    result: Any
    """The handler's return value after a JSON round trip (None when it failed)."""
    error: dict[str, Any] | None
    """Lambda's error payload: errorMessage, errorType, stackTrace."""
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def payload(self) -> Any:
        """What `lambda invoke` / `sam local invoke` print: the result, or the error document."""
        return self.result if self.error is None else self.error


Invoke = Callable[[str, Any], Invocation]  # (function logical id, event) -> what happened


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers (and Powertools) read."""

    def __init__(self, spec: FunctionSpec, request_id: str) -> None:
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = str(spec.memory_mb)  # the real runtime passes the env var's string
        self.aws_request_id = request_id
        self.log_group_name = log_group_name(spec)
        self.log_stream_name = log_stream_name()
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def log_group_name(spec: FunctionSpec) -> str:
    return f"/aws/lambda/{spec.function_name}"


def log_stream_name() -> str:
    return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


def invoke_function(spec: FunctionSpec, event: Any) -> Invocation:
    """Invoke a handler with `event` (JSON round-tripped, as Lambda would deliver it)."""
    request_id = str(uuid.uuid4())
    event = json.loads(json.dumps(event))
    with _INVOKE_LOCK, _function_environment(spec):
        started = time.perf_counter()
        error: dict[str, Any] | None = None
        result: Any = None
        try:
            handler = _load_handler(spec)
            output = handler(event, LambdaContext(spec, request_id))
        except _RuntimeError as exc:
            error = exc.payload
        except (Exception, SystemExit) as exc:
            error = _error_payload(exc)
        else:
            try:  # Lambda serialises the result; what JSON cannot carry is the runtime's error
                result = json.loads(json.dumps(output))
            except (TypeError, ValueError) as exc:
                error = _marshal_error(exc)
        duration_ms = (time.perf_counter() - started) * 1000
    invocation = Invocation(spec.logical_id, request_id, result, error, duration_ms)
    if error is None:
        log.info("%s %s ok in %.0f ms", spec.logical_id, request_id, duration_ms)
    else:
        trace = "".join(error.get("stackTrace", []))
        log.error(
            "%s %s failed in %.0f ms: %s: %s\n%s",
            spec.logical_id,
            request_id,
            duration_ms,
            error["errorType"],
            error["errorMessage"],
            trace,
        )
    return invocation


class _RuntimeError(Exception):
    """An error of the Lambda runtime itself (import, handler lookup), with Lambda's error payload."""

    def __init__(self, error_type: str, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        # Lambda sends an empty stackTrace here; the cause's frames make a broken import easier to find.
        frames = traceback.extract_tb(cause.__traceback__) if cause else []
        trace = traceback.format_list([f for f in frames if not f.filename.startswith("<frozen")])
        self.payload: dict[str, Any] = {"errorMessage": message, "errorType": error_type, "stackTrace": trace}


def _load_handler(spec: FunctionSpec) -> Any:
    # Function code first, layers after, as in Lambda (/var/task before /opt/python). The process is
    # shared, so the paths stay for every function, like the imported modules do.
    if spec.import_root not in sys.path:
        sys.path.insert(0, spec.import_root)
    sys.path.extend(path for path in spec.layer_paths if path not in sys.path)
    try:
        module = importlib.import_module(spec.module)
    except Exception as exc:
        raise _RuntimeError(
            "Runtime.ImportModuleError", f"Unable to import module '{spec.module}': {exc}", exc
        ) from exc
    handler = getattr(module, spec.handler, None)
    if not callable(handler):
        raise _RuntimeError("Runtime.HandlerNotFound", f"Handler '{spec.handler}' missing on module '{spec.module}'")
    return handler


def _error_payload(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop our own frame, as Lambda does
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def _marshal_error(exc: Exception) -> dict[str, Any]:
    return {
        "errorMessage": f"Unable to marshal response: {exc}",
        "errorType": "Runtime.MarshalError",
        "stackTrace": [],
    }


@contextmanager
def _function_environment(spec: FunctionSpec) -> Iterator[None]:
    """Process env + the function's variables + Lambda's reserved ones; everything restored afterwards
    (including whatever the handler itself changed)."""
    saved = dict(os.environ)
    # An empty template value (an optional parameter left at "") does not hide the caller's own value:
    # `RATES_NBK_URL=http://... make invoke ...` reaches the function, as an --env-vars file would.
    os.environ.update({name: value for name, value in spec.environment.items() if value or name not in saved})
    os.environ.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group_name(spec),
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            # As `sam local` does: tells Powertools Tracer (and handlers) that there is no X-Ray here.
            "AWS_SAM_LOCAL": "true",
        }
    )
    try:
        yield
    finally:
        for key in [key for key in os.environ if key not in saved]:
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
