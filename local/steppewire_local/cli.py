"""`python -m steppewire_local run|invoke` — the Docker-free stand-in for `sam local`.

`run` starts a moto server, points every boto3 client at it (AWS_ENDPOINT_URL, inherited by the function
workers), deploys the template's resources there and serves the API, schedules and SQS pollers until
Ctrl-C; each function runs in its own worker process (see `workers`).
`invoke` runs one function in a fresh worker against that running stack (like `sam local invoke -e`);
the caller's values of the variables the function declares win over the stack's, each one announced.

Extending `run` (e.g. with an offline HTTP server of recorded feed responses): implement `RunExtension`
and pass it to `main(extensions=[...])` / `run(options, extensions=[...])`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Final, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from steppewire.schedule_expressions import next_fire_time

from .functions import FunctionSpec
from .resources import BUCKET, QUEUE, TABLE, TOPIC
from .site_server import SiteServer, site_edge
from .stack import DEFAULT_API_PORT, DEFAULT_REGION, DEFAULT_STACK_NAME, LocalStack
from .workers import WorkerRunner

log = logging.getLogger("steppewire_local")

HOST: Final = "127.0.0.1"
DEFAULT_AWS_PORT: Final = 5000
DEFAULT_SITE_PORT: Final = 8080
SITE_FOLDER: Final = "site"  # beside the template
STATE_FILE: Final = "state.json"
LOG_DIR: Final = "logs"


class RunExtension(Protocol):
    """A hook into `run`: extra parameter values, something started before the stack, stopped after."""

    def parameter_overrides(self) -> Mapping[str, str]:
        """Read before the template is translated; command-line --parameter-overrides win over these."""
        ...

    def before_start(self, stack: LocalStack) -> list[str]:
        """Called once the resources exist, before the API, schedules and pollers start.
        Returns lines for the startup summary."""
        ...

    def stop(self) -> None:
        """Called on shutdown (also after a failed start), in reverse order of `before_start`."""
        ...


@dataclass(frozen=True)
class RunOptions:
    template: Path = Path("template.yaml")
    api_port: int = DEFAULT_API_PORT
    aws_port: int = DEFAULT_AWS_PORT
    site_port: int = DEFAULT_SITE_PORT
    parameters: dict[str, str] = field(default_factory=dict)
    stack_name: str = DEFAULT_STACK_NAME
    state_dir: Path = Path(".local-stack")
    json_logs: bool = False
    """Print the functions' own (JSON) logs here; else they go to <state_dir>/logs/<LogicalId>.log."""


def main(argv: Sequence[str] | None = None, extensions: Sequence[RunExtension] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m steppewire_local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the local stack (Ctrl-C stops it)")
    run_parser.add_argument("--template", type=Path, default=RunOptions.template)
    run_parser.add_argument("--api-port", type=int, default=RunOptions.api_port)
    run_parser.add_argument("--aws-port", type=int, default=RunOptions.aws_port)
    run_parser.add_argument("--site-port", type=int, default=RunOptions.site_port, help="the reader's site (site/)")
    run_parser.add_argument("--stack-name", default=RunOptions.stack_name)
    run_parser.add_argument(
        "--parameter-overrides", nargs="+", default=[], metavar="KEY=VALUE", help="as for sam deploy"
    )
    run_parser.add_argument("--state-dir", type=Path, default=RunOptions.state_dir)
    run_parser.add_argument(
        "--json-logs", action="store_true", help="print the functions' JSON logs, not only one line per invocation"
    )
    invoke_parser = commands.add_parser("invoke", help="invoke one function of the running stack")
    invoke_parser.add_argument("function_id", metavar="FUNCTION_LOGICAL_ID")
    invoke_parser.add_argument("event_file", metavar="EVENT_FILE", help="JSON event file, or - for stdin")
    invoke_parser.add_argument("--state-dir", type=Path, default=RunOptions.state_dir)
    import_parser = commands.add_parser(
        "import", help="import a WordPress export into the running stack, showing its progress"
    )
    import_parser.add_argument("export", type=Path, metavar="EXPORT", help="a WordPress export, .xml or .xml.gz")
    import_parser.add_argument("--state-dir", type=Path, default=RunOptions.state_dir)
    args = parser.parse_args(argv)

    if args.command == "invoke":
        return invoke(args.function_id, args.event_file, args.state_dir)
    if args.command == "import":
        from .importing import import_export

        _configure_logging(logging.WARNING)
        state = running_stack(args.state_dir)
        return 2 if state is None else import_export(args.export, state["resources"]["ArticlesBucket"]["physical_id"])
    try:
        parameters = parse_parameter_overrides(args.parameter_overrides)
    except ValueError as exc:
        parser.error(str(exc))
    options = RunOptions(
        template=args.template,
        api_port=args.api_port,
        aws_port=args.aws_port,
        site_port=args.site_port,
        parameters=parameters,
        stack_name=args.stack_name,
        state_dir=args.state_dir,
        json_logs=args.json_logs,
    )
    return run(options, extensions)


def parse_parameter_overrides(items: Sequence[str]) -> dict[str, str]:
    """`Key=Value` items, also in sam's `ParameterKey=K,ParameterValue=V` form."""
    parameters: dict[str, str] = {}
    for item in items:
        if item.startswith("ParameterKey="):
            key_part, _, value_part = item.partition(",ParameterValue=")
            key, value = key_part.removeprefix("ParameterKey="), value_part
        else:
            key, separator, value = item.partition("=")
            if not separator:
                raise ValueError(f"parameter override {item!r} is not KEY=VALUE")
        parameters[key] = value
    return parameters


# ---------------------------------------------------------------------------- run
def run(options: RunOptions, extensions: Sequence[RunExtension] = ()) -> int:
    _configure_logging(logging.INFO)
    ports = (
        (options.aws_port, "AWS endpoint (--aws-port)"),
        (options.api_port, "API (--api-port)"),
        (options.site_port, "site (--site-port)"),
    )
    for port, what in ports:
        if not _port_free(port):
            print(f"error: port {port} for the {what} is already in use", file=sys.stderr)
            return 1
    # Ctrl-C / SIGTERM only set a flag, also during startup: shutdown then always runs the finally below.
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, _set_on_signal(stopping)) for sig in (signal.SIGINT, signal.SIGTERM)}
    # Imported here: the moto server pulls in flask & co., which `invoke` does not need.
    from .embedded_aws import start_embedded_aws

    moto = start_embedded_aws(HOST, options.aws_port)
    endpoint = "http://{}:{}".format(*moto.get_host_and_port())
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION
    use_local_aws(endpoint, region)
    state_file = options.state_dir / STATE_FILE
    log_dir = None if options.json_logs else options.state_dir / LOG_DIR
    started: list[RunExtension] = []
    stack: LocalStack | None = None
    site: SiteServer | None = None
    try:
        parameters: dict[str, str] = {}
        for extension in extensions:
            parameters.update(extension.parameter_overrides())
        parameters.update(options.parameters)
        stack = LocalStack.create(
            options.template, parameters, stack_name=options.stack_name, region=region, runner=WorkerRunner(log_dir)
        )
        stack.deploy()
        extra_lines: list[str] = []
        for extension in extensions:
            started.append(extension)
            extra_lines += extension.before_start(stack)
        stack.start_background(api_host=HOST, api_port=options.api_port)
        site, site_line = start_site(options, stack)
        extra_lines.append(site_line)
        write_state(state_file, stack, endpoint)
        print(summary(stack, endpoint, state_file, extra_lines, log_dir), flush=True)
        while not stopping.wait(0.5):
            pass
        print("\nstopping...", file=sys.stderr, flush=True)
        return 0
    except (ValueError, KeyError, OSError, ClientError, BotoCoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if site is not None:
            site.stop()
        if stack is not None:
            stack.stop()
        for extension in reversed(started):
            extension.stop()
        moto.stop()
        state_file.unlink(missing_ok=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_site(options: RunOptions, stack: LocalStack) -> tuple[SiteServer | None, str]:
    """The site folder served beside the API, calling it cross-origin; or why not."""
    folder = options.template.resolve().parent / SITE_FOLDER
    if not folder.is_dir() or stack.api_url is None:
        return None, f"Site           not served: no {folder} or no API"
    edge = site_edge(stack.template.resources, stack.api_url)
    site = SiteServer(folder, HOST, options.site_port, edge, {"api": stack.api_url})
    site.start()
    return site, f"Site           {site.url}/   ({folder}; /config.json points it at the API {stack.api_url})"


def use_local_aws(endpoint: str, region: str) -> None:
    """Point every boto3 client of this process (ours and the handlers') at the local endpoint."""
    os.environ.pop("AWS_PROFILE", None)  # a configured profile would win over the fake keys
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )


def _set_on_signal(event: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        event.set()

    return handler


def _port_free(port: int) -> bool:
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def write_state(state_file: Path, stack: LocalStack, endpoint: str) -> None:
    state = stack.state() | {
        "aws_endpoint": endpoint,
        "api_url": stack.api_url,
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    state_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = state_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    temporary.replace(state_file)  # atomic: `invoke` never reads half a file


def summary(
    stack: LocalStack,
    endpoint: str,
    state_file: Path,
    extra_lines: Sequence[str] = (),
    log_dir: Path | None = None,
) -> str:
    now = datetime.now(UTC)
    created = [r for r in stack.registry if r.created]
    lines = [
        f"Local stack {stack.stack_name!r} from {stack.template.path.name} is running "
        f"(region {stack.region}). Ctrl-C stops it.",
        "",
        f"AWS endpoint   {endpoint}   (moto; fake credentials; boto3 here uses AWS_ENDPOINT_URL)",
    ]
    tables = [r for r in created if r.type == TABLE]
    example = f"dynamodb scan --table-name {tables[0].physical_id}" if tables else "s3 ls"
    lines.append(f"  try: aws --endpoint-url {endpoint} {example}")
    for kind, label in ((TABLE, "table"), (QUEUE, "queue"), (BUCKET, "bucket"), (TOPIC, "topic")):
        for resource in (r for r in created if r.type == kind):
            lines.append(f"  {label:<7} {resource.logical_id:<28} {resource.physical_id}")
    where = f"their logs in {log_dir}/<LogicalId>.log (--json-logs prints them here)" if log_dir else "their logs here"
    lines += ["", f"Functions      one worker process each, Timeout enforced; one line per invocation, {where}"]
    for spec in stack.functions.values():
        lines.append(f"  {spec.logical_id:<28} {spec.module}  (Timeout {spec.timeout_s} s, {spec.memory_mb} MB)")
    if stack.routes:
        stages = sorted({r.stage for r in stack.routes})
        lines += ["", f"API            {stack.api_url}   (stage {', '.join(stages)} served at the root path)"]
        for route in sorted(stack.routes, key=lambda r: (r.resource, r.method)):
            lines.append(f"  {route.method:<7} {route.resource:<36} -> {route.target}")
    if stack.schedules:
        lines += ["", "Schedules      (each fired once at start)"]
        for schedule in stack.schedules:
            when = next_fire_time(schedule.expression, schedule.timezone, now)
            due = f"next {when:%Y-%m-%d %H:%M %Z}" if when else "no further runs"
            state = "" if schedule.enabled else "  [DISABLED]"
            lines.append(
                f"  {schedule.schedule_id:<28} {schedule.expression} {schedule.timezone} -> "
                f"{schedule.function_id}, {due}{state}"
            )
    if stack.sqs_mappings:
        lines += ["", "SQS pollers"]
        for mapping in stack.sqs_mappings:
            partial = ", ReportBatchItemFailures" if mapping.report_batch_item_failures else ""
            state = "" if mapping.enabled else "  [DISABLED]"
            lines.append(
                f"  {mapping.queue_id:<28} -> {mapping.function_id} (batch {mapping.batch_size}{partial}){state}"
            )
    if extra_lines:
        lines += ["", *extra_lines]
    if stack.warnings:
        lines += ["", "Not emulated"] + [f"  {warning}" for warning in stack.warnings]
    lines += [
        "",
        f"State          {state_file}   (python -m steppewire_local invoke FUNCTION_LOGICAL_ID EVENT_FILE)",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- invoke
def running_stack(state_dir: Path) -> dict[str, Any] | None:
    """The running stack's state (its AWS endpoint now used by this process's boto3 clients), or None
    after saying on stderr why there is none."""
    state_file = state_dir / STATE_FILE
    try:
        state: dict[str, Any] = json.loads(state_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(
            f"error: no local stack is running ({state_file} not found); start one with: make run",
            file=sys.stderr,
        )
        return None
    endpoint: str = state["aws_endpoint"]
    if not _reachable(endpoint):
        print(f"error: the local stack's AWS endpoint {endpoint} does not answer; is `run` still up?", file=sys.stderr)
        return None
    use_local_aws(endpoint, state["region"])
    return state


def invoke(function_id: str, event_file: str, state_dir: Path) -> int:
    _configure_logging(logging.WARNING)
    state = running_stack(state_dir)
    if state is None:
        return 2
    functions: dict[str, Any] = state["functions"]
    if function_id not in functions:
        print(
            f"error: unknown function {function_id!r}; known: {', '.join(sorted(functions)) or 'none'}",
            file=sys.stderr,
        )
        return 2
    try:
        text = sys.stdin.read() if event_file == "-" else Path(event_file).read_text(encoding="utf-8")
        event = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read event {event_file}: {exc}", file=sys.stderr)
        return 2
    specs = {logical_id: FunctionSpec.from_json(spec) for logical_id, spec in functions.items()}
    spec, notes = with_caller_overrides(function_id, specs, os.environ)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    runner = WorkerRunner()  # a fresh worker, as in `run`: Timeout enforced, its logs on stderr
    try:
        invocation = runner.invoke(spec, event)
    finally:
        runner.stop()
    print(json.dumps(invocation.payload, indent=2, ensure_ascii=False))
    return 0 if invocation.ok else 1


def with_caller_overrides(
    function_id: str, specs: Mapping[str, FunctionSpec], caller: Mapping[str, str]
) -> tuple[FunctionSpec, list[str]]:
    """The function with the caller's values of the variables it declares (`RATES_NBK_URL=… make invoke`),
    as `sam local invoke --env-vars` gives them, and a note for each value that changes something or
    cannot: the stack's own value (e.g. the recorded feeds' URL) would otherwise win silently."""
    spec = specs[function_id]
    environment = dict(spec.environment)
    notes = []
    for name, stack_value in spec.environment.items():
        value = caller.get(name)
        if value and value != stack_value:
            environment[name] = value
            notes.append(f"{name}={value} from your environment replaces the stack's {stack_value!r}")
    for name in sorted(set(caller) - set(spec.environment)):
        owners = [other for other, declared in specs.items() if name in declared.environment]
        if owners:
            notes.append(f"{name} has no effect: {function_id} does not declare it ({', '.join(owners)} does)")
    return replace(spec, environment=environment), notes


def _reachable(endpoint: str) -> bool:
    host, _, port = endpoint.removeprefix("http://").partition(":")
    try:
        with socket.create_connection((host, int(port or 80)), timeout=1):
            return True
    except OSError:
        return False


def _configure_logging(level: int) -> None:
    # Libraries (botocore, moto's werkzeug) stay at WARNING: at INFO they log every AWS call.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # it would set itself to INFO otherwise
