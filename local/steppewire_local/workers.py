"""One worker process per function, as Lambda gives each function its own sandbox (`run` mode).

Each worker is `python -P -m steppewire_local.workers` started with the function's environment, so
module state, Powertools service names, settings and client caches belong to one function; it reaches
embedded AWS through AWS_ENDPOINT_URL like any other client. A worker runs one invocation at a time;
different functions run concurrently. The parent enforces the template's `Timeout`: past it the worker is
killed (the next invocation starts a cold one) and the invocation fails as Lambda's `Sandbox.Timedout`.
Each result carries the worker's peak resident memory, reported beside `MemorySize`.

The worker imports only the standard library and `functions` before the handler, so its memory is the
function's own.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any, Final, TextIO

from .functions import (
    FunctionSpec,
    Invocation,
    function_environment,
    init_handler,
    log_invocation,
    reported_failures,
    run_handler,
)

INIT_TIMEOUT_S: Final = 10.0
"""Lambda's limit for the init phase (importing the handler module)."""
IPC_GRACE_S: Final = 0.5
"""A result sent just before the deadline still crosses the socket on a loaded machine."""
_PACKAGE_ROOT: Final = str(Path(__file__).resolve().parent.parent)
STDERR: Final = 2


class WorkerRunner:
    """`functions.Runner` with a worker process per function; `log_dir` None = the functions' own output
    (their JSON logs) goes to this process's stderr, else to `<log_dir>/<LogicalId>.log`."""

    def __init__(self, log_dir: Path | None = None) -> None:
        self._log_dir = log_dir
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def invoke(self, spec: FunctionSpec, event: Any) -> Invocation:
        with self._lock:
            worker = self._workers.setdefault(spec.logical_id, _Worker(spec, self._log_dir))
            if self._stopped:  # a poller or API thread still finishing: fail like a sandbox going away
                worker.kill()
        invocation = worker.invoke(event)
        log_invocation(spec, event, invocation)
        return invocation

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.kill()


class _Worker:
    def __init__(self, spec: FunctionSpec, log_dir: Path | None) -> None:
        self.spec = spec
        self._log_dir = log_dir
        self._busy = threading.Lock()  # one invocation at a time, as one Lambda sandbox
        self._guard = threading.Lock()  # starting vs killing the process (kill() does not wait for _busy)
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._killed = False

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        with self._busy:
            started = time.perf_counter()
            cold = self._process is None
            try:
                conn = self._connection()
                conn.send_bytes(json.dumps({"request_id": request_id, "event": event}).encode())
                reply = self._receive(conn, self.spec.timeout_s, "Sandbox.Timedout", "Task timed out")
            except _Failure as failure:
                self.kill(restartable=True)
                elapsed = (time.perf_counter() - started) * 1000
                return Invocation(
                    self.spec.logical_id, request_id, None, failure.payload(request_id), elapsed, cold=cold
                )
            return Invocation(
                self.spec.logical_id,
                request_id,
                reply["result"],
                reply["error"],
                reply["duration_ms"],
                max_memory_mb=reply["max_memory_mb"],
                failure_causes=reply["failure_causes"],
                cold=cold,
            )

    def _connection(self) -> Connection:
        with self._guard:
            if self._killed:
                raise _Failure("Runtime.ExitError", "the local stack is stopping")
            if self._conn is not None:
                return self._conn
            ours, theirs = socket.socketpair()
            with theirs, _log_target(self._log_dir, self.spec.logical_id) as output:
                self._process = subprocess.Popen(
                    [sys.executable, "-P", "-m", "steppewire_local.workers", str(theirs.fileno())],
                    env=_worker_environment(self.spec),
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                )
            self._conn = Connection(ours.detach())
            self._conn.send_bytes(json.dumps(self.spec.to_json()).encode())
        init = self._receive(self._conn, INIT_TIMEOUT_S, "Runtime.InitTimeout", "Init timed out")
        if init["error"] is not None:
            raise _Failure(init["error"]["errorType"], init["error"]["errorMessage"], init["error"])
        return self._conn

    def _receive(self, conn: Connection, limit_s: float, timeout_type: str, timed_out: str) -> Any:
        try:
            if not conn.poll(limit_s + IPC_GRACE_S):
                raise _Failure(timeout_type, f"{timed_out} after {limit_s:.2f} seconds")
            return json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            code = self._process.poll() if self._process is not None else None
            raise _Failure("Runtime.ExitError", f"Runtime exited with error: exit status {code}") from None

    def kill(self, *, restartable: bool = False) -> None:
        """Kill the worker (SIGKILL, as Lambda ends a timed-out sandbox); the next invoke starts a cold one
        unless the runner is stopping."""
        with self._guard:
            self._killed = self._killed or not restartable
            process, conn = self._process, self._conn
            self._process = self._conn = None
        if process is not None:
            process.kill()
            process.wait()
        if conn is not None:
            conn.close()


class _Failure(Exception):
    """The sandbox failed (timeout, crash, init error): the invocation fails with Lambda's error type."""

    def __init__(self, error_type: str, message: str, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self._payload = payload

    def payload(self, request_id: str) -> dict[str, Any]:
        if self._payload is not None:
            return self._payload
        return {"errorType": self.error_type, "errorMessage": f"RequestId: {request_id} Error: {self}"}


def _worker_environment(spec: FunctionSpec) -> dict[str, str]:
    # Only this package on the path: the worker puts the function's code and layers there itself.
    base = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return function_environment(spec, base) | {"PYTHONPATH": _PACKAGE_ROOT}


@contextmanager
def _log_target(log_dir: Path | None, function_id: str) -> Iterator[IO[bytes] | int]:
    """The worker's stdout/stderr: this process's stderr (like `sam local`: results on stdout, logs on
    stderr) or its function's log file, closed once handed over."""
    if log_dir is None:
        yield STDERR
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{function_id}.log").open("ab") as file:
        yield file


# ---------------------------------------------------------------------------- inside the worker
def _serve(fd: int) -> None:
    # Ctrl-C reaches the terminal's whole process group; the parent stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    spec = FunctionSpec.from_json(json.loads(conn.recv_bytes()))
    log = _ErrorLog(sys.stdout)
    sys.stdout = log  # before the handler's import: Powertools' Logger binds sys.stdout when created
    error = init_handler(spec)
    conn.send_bytes(json.dumps({"error": error}).encode())
    if error is not None:
        return
    causes = _batch_failure_causes()
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:  # the parent closed the socket: the stack is stopping
            return
        causes.clear()
        log.records.clear()
        started = time.perf_counter()
        result, error = run_handler(spec, request["event"], request["request_id"])
        log.flush()  # the function's log lines before the runner's line about them
        reply = {
            "result": result,
            "error": error,
            "duration_ms": (time.perf_counter() - started) * 1000,
            "max_memory_mb": _peak_memory_mb(),
            "failure_causes": causes | _logged_causes(result, log.records, set(causes)),
        }
        conn.send_bytes(json.dumps(reply).encode())


class _ErrorLog(io.TextIOBase):
    """The function's stdout, passed through, keeping the invocation's ERROR records (Powertools' JSON)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._pending = ""
        self.records: list[dict[str, Any]] = []

    def write(self, text: str) -> int:
        self._out.write(text)
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            if '"level":"ERROR"' in line and len(self.records) < 100:  # parse only what can be a cause
                with suppress(ValueError):
                    record = json.loads(line)
                    if isinstance(record, dict):
                        self.records.append(record)
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def fileno(self) -> int:
        return self._out.fileno()


def _logged_causes(result: Any, errors: list[dict[str, Any]], known: set[str]) -> dict[str, str]:
    """For a failed record Powertools did not see: the first ERROR record that names its id."""
    causes: dict[str, str] = {}
    for item in reported_failures(result):
        record = next((r for r in errors if item in r.values()), None)
        if item not in known and record is not None:
            exception = f" ({record['exception_name']})" if record.get("exception_name") else ""
            causes[item] = f"{record.get('message')}{exception}"
    return causes


def _peak_memory_mb() -> float:
    """This process's peak resident memory. On Linux from VmHWM: `ru_maxrss` would carry over the
    parent's peak, since the worker was forked (vfork) from it before exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(line for line in status if line.startswith("VmHWM:"))
        return int(peak.split()[1]) / 1024
    except (OSError, StopIteration):
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak_kib / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS


def _batch_failure_causes() -> dict[str, str]:
    """Record id → exception of each record Powertools' batch processor fails: the partial batch response
    only names the ids, and Powertools logs the cause at DEBUG."""
    causes: dict[str, str] = {}
    base = sys.modules.get("aws_lambda_powertools.utilities.batch.base")
    if base is None:  # the handler does not use the batch utility
        return causes
    processor = base.BasePartialProcessor
    original = processor.failure_handler

    def failure_handler(self: Any, record: Any, exception: Any) -> Any:
        raw: Mapping[str, Any] = getattr(record, "raw_event", record)
        kind = exception[0].__name__ if exception[0] is not None else "Error"
        causes[str(raw.get("messageId"))] = f"{kind}: {exception[1]}"
        return original(self, record, exception)

    processor.failure_handler = failure_handler
    return causes


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
