"""What an invocation is, and the in-process runner (tests under `mock_aws`, and `invoke` mode).

Two runners implement `Runner`: `InProcessRunner` here, and `workers.WorkerRunner` (one process per
function, as Lambda; `run` mode). In-process, a global lock serialises invocations because each one
swaps `os.environ` to the function's configuration; modules stay imported (a warm container) and are
shared by every function. Timeouts are not enforced in-process — a thread cannot be killed — but
`get_remaining_time_in_millis()` counts down as in Lambda.

Stdlib only: the worker processes import this module, and their memory is what `MemorySize` is about.
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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

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
    max_memory_mb: float | None = None
    """The worker's peak resident memory (Lambda's "Max Memory Used"); None in-process."""
    failure_causes: dict[str, str] = field(default_factory=dict)
    """Batch item id → why it failed, where the worker could see it (Powertools' batch processor, or the
    function's ERROR log record naming the id)."""
    cold: bool = False
    """The handler module was imported for this invocation (a new worker; in-process, the first import)."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def payload(self) -> Any:
        """What `lambda invoke` / `sam local invoke` print: the result, or the error document."""
        return self.result if self.error is None else self.error


Invoke = Callable[[str, Any], Invocation]  # (function logical id, event) -> what happened


class Runner(Protocol):
    """Runs one function's handler; one invocation of a function at a time."""

    def invoke(self, spec: FunctionSpec, event: Any) -> Invocation: ...

    def stop(self) -> None:
        """Release what the runner holds (worker processes); idempotent."""
        ...


class InProcessRunner:
    """Handlers in this process, one invocation at a time across all functions (see the module doc)."""

    def invoke(self, spec: FunctionSpec, event: Any) -> Invocation:
        return invoke_function(spec, event)

    def stop(self) -> None:
        """Nothing to release: the imported modules stay, as in a warm container."""


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
    """Invoke a handler in this process with `event` (JSON round-tripped, as Lambda would deliver it)."""
    request_id = str(uuid.uuid4())
    event = json.loads(json.dumps(event))
    with _INVOKE_LOCK, _function_environment(spec):
        cold = spec.module not in sys.modules
        started = time.perf_counter()
        result, error = run_handler(spec, event, request_id)
        duration_ms = (time.perf_counter() - started) * 1000
    invocation = Invocation(spec.logical_id, request_id, result, error, duration_ms, cold=cold)
    log_invocation(spec, event, invocation)
    return invocation


def run_handler(spec: FunctionSpec, event: Any, request_id: str) -> tuple[Any, dict[str, Any] | None]:
    """(JSON result, None) or (None, Lambda's error payload); in the environment the caller prepared."""
    try:
        handler = load_handler(spec)
        output = handler(event, LambdaContext(spec, request_id))
    except _RuntimeError as exc:
        return None, exc.payload
    except (Exception, SystemExit) as exc:
        return None, _error_payload(exc)
    try:  # Lambda serialises the result; what JSON cannot carry is the runtime's error
        return json.loads(json.dumps(output)), None
    except (TypeError, ValueError) as exc:
        return None, _marshal_error(exc)


def init_handler(spec: FunctionSpec) -> dict[str, Any] | None:
    """Lambda's init phase: import the handler module; its error payload if that fails."""
    try:
        load_handler(spec)
    except _RuntimeError as exc:
        return exc.payload
    return None


def log_invocation(spec: FunctionSpec, event: Any, invocation: Invocation) -> None:
    """One readable line per invocation; a failure adds its cause, a batch the cause of each failed item."""
    memory = f"{invocation.max_memory_mb:.0f}" if invocation.max_memory_mb is not None else "-"
    cold = " cold" if invocation.cold else ""
    head = (
        f"{spec.logical_id} {invocation.request_id} {{}} {invocation.duration_ms:.0f} ms{cold} "
        f"{memory}/{spec.memory_mb} MB"
    )
    error = invocation.error
    if error is not None:
        trace = "".join(error.get("stackTrace", [])).rstrip()
        cause = f"{error['errorType']}: {error['errorMessage']}" + (f"\n{trace}" if trace else "")
        log.error("%s: %s", head.format("FAILED"), cause)
        return
    failed = reported_failures(invocation.result)
    if not failed:
        status = invocation.result.get("statusCode") if isinstance(invocation.result, dict) else None
        log.info("%s", head.format("ok" if status is None else f"ok {status}"))  # API calls: their status
        return
    records = event.get("Records") if isinstance(event, dict) else None
    total = len(records) if isinstance(records, list) else "?"
    causes = "".join(
        f"\n    {item}: {invocation.failure_causes.get(item, 'cause not reported (see the function log)')}"
        for item in failed
    )
    log.warning("%s%s", head.format(f"partial: {len(failed)} of {total} failed"), causes)


def reported_failures(result: Any) -> list[str]:
    """The item identifiers of a partial batch response, as reported (what is valid is the poller's call)."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not isinstance(failures, list):
        return []
    return [str(f.get("itemIdentifier")) if isinstance(f, dict) else repr(f) for f in failures]


class _RuntimeError(Exception):
    """An error of the Lambda runtime itself (import, handler lookup), with Lambda's error payload."""

    def __init__(self, error_type: str, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        # Lambda sends an empty stackTrace here; the cause's frames make a broken import easier to find.
        frames = traceback.extract_tb(cause.__traceback__) if cause else []
        trace = traceback.format_list([f for f in frames if not f.filename.startswith("<frozen")])
        self.payload: dict[str, Any] = {"errorMessage": message, "errorType": error_type, "stackTrace": trace}


def load_handler(spec: FunctionSpec) -> Any:
    # Function code first, layers after, as in Lambda (/var/task before /opt/python). In-process the
    # paths stay for every function, like the imported modules do.
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


def function_environment(spec: FunctionSpec, base: Mapping[str, str]) -> dict[str, str]:
    """`base` (the caller's environment) + the function's variables + Lambda's reserved ones."""
    # An empty template value (an optional parameter left at "") does not hide the caller's own value:
    # `RATES_NBK_URL=http://... make invoke ...` reaches the function, as an --env-vars file would.
    environment = dict(base)
    environment.update({name: value for name, value in spec.environment.items() if value or name not in base})
    environment.update(
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
    return environment


@contextmanager
def _function_environment(spec: FunctionSpec) -> Iterator[None]:
    """`function_environment` in os.environ; everything restored afterwards (including whatever the
    handler itself changed)."""
    saved = dict(os.environ)
    os.environ.update(function_environment(spec, saved))
    try:
        yield
    finally:
        for key in [key for key in os.environ if key not in saved]:
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
