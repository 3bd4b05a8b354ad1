"""The local stack: one template → resources in (moto) AWS + functions, API, schedules, pollers.

Everything is derived from the template; nothing is listed twice. Two ways to use it:

* tests, inside `moto.mock_aws()`, synchronously::

      stack = LocalStack.create("template.yaml", parameters={"Stage": "test"})
      stack.deploy()
      stack.api_request("GET", "/rates?base=KZT").json()
      stack.fire_schedule("RatesIngestFunction"); stack.drain()

* run mode (see `cli.run`): the same stack against a moto server, with `start_background()` and
  `runner=WorkerRunner()` (a process per function, timeouts enforced).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from .api_gateway import ApiGateway, ApiResponse, ApiServer, Route, routes_from_template
from .functions import FunctionSpec, InProcessRunner, Invocation, Runner
from .intrinsics import Resolver, pseudo_parameters, referenced_ids
from .resources import (
    DATA_TYPES,
    FUNCTION,
    DeployContext,
    DeployedResource,
    ResourceRegistry,
    create_resource,
    emulated_resource,
)
from .schedules import Schedule, ScheduleRunner, schedules_from_template
from .sqs_source import SqsMapping, SqsPoller, mappings_from_template
from .template import Template, TemplateError, cfn_str, load_template

log = logging.getLogger("steppewire_local")

DEFAULT_STACK_NAME: Final = "steppewire-local"
DEFAULT_REGION: Final = "us-east-1"
DEFAULT_API_PORT: Final = 3000
_UNEMULATED_TYPES: Final = {
    "AWS::ApiGatewayV2::Api": "HTTP APIs (v2) are not served",
    "AWS::StepFunctions::StateMachine": "state machines are not emulated",
}


class LocalStack:
    def __init__(self, template: Template, *, stack_name: str, region: str, runner: Runner | None = None) -> None:
        self.template = template
        self.runner: Runner = runner or InProcessRunner()
        self.stack_name = stack_name
        self.region = region
        self.functions: dict[str, FunctionSpec] = {}
        self.routes: list[Route] = []
        self.schedules: list[Schedule] = []
        self.sqs_mappings: list[SqsMapping] = []
        self.warnings: list[str] = []
        """What the template asks for but the local runtime does not emulate."""
        self._registry: ResourceRegistry | None = None
        self._gateway = ApiGateway([], self.invoke_raw)
        self._pollers: list[SqsPoller] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler: ScheduleRunner | None = None
        self._api_server: ApiServer | None = None

    @classmethod
    def create(
        cls,
        template_path: str | os.PathLike[str],
        parameters: Mapping[str, str] | None = None,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        region: str | None = None,
        import_root: str | os.PathLike[str] | None = None,
        runner: Runner | None = None,
    ) -> LocalStack:
        """Translate the template (offline, no AWS calls yet). `parameters` = --parameter-overrides;
        `runner` defaults to in-process (what tests under `mock_aws` need)."""
        region = region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION
        template = load_template(template_path, parameters, region=region, import_root=import_root)
        return cls(template, stack_name=stack_name, region=region, runner=runner)

    # ------------------------------------------------------------------ deploy
    def deploy(self) -> None:
        """Create the data resources (in dependency order) and wire functions, API, schedules, pollers."""
        if self._registry is not None:
            raise RuntimeError("already deployed")
        ctx = DeployContext(self.stack_name, self.region)
        resources = self.template.resources
        registry = ResourceRegistry(declared=set(resources))
        resolver = Resolver(
            parameters=self.template.parameters,
            pseudo=pseudo_parameters(self.stack_name, self.region),
            resources=registry,
            conditions=self.template.conditions,
            mappings=self.template.mappings,
        )
        active = {
            logical_id: resource
            for logical_id, resource in resources.items()
            if "Condition" not in resource or resolver.condition(resource["Condition"])
        }
        registry.exclude(set(resources) - set(active))
        for logical_id in _dependency_order(active):
            kind = active[logical_id]["Type"]
            props = active[logical_id].get("Properties", {})
            if kind in DATA_TYPES:
                resource = create_resource(logical_id, kind, resolver.resolve(props), ctx)
                log.info("created %s %s", kind, resource.physical_id)
            else:
                name = resolver.resolve(props.get("FunctionName")) if kind == FUNCTION else None
                resource = emulated_resource(logical_id, kind, name, ctx)
            registry.add(resource)
        self._registry = registry

        self.functions = self._function_specs(active, resolver, registry, ctx.warnings)
        by_arn = {spec.arn: logical_id for logical_id, spec in self.functions.items()}
        by_name_or_arn = by_arn | {spec.function_name: logical_id for logical_id, spec in self.functions.items()}
        self.routes, api_warnings = routes_from_template(active, resolver, registry, by_arn)
        self.schedules, schedule_warnings = schedules_from_template(active, resolver, by_arn, self.region)
        self.sqs_mappings, sqs_warnings = mappings_from_template(active, resolver, registry, by_name_or_arn)
        self._gateway = ApiGateway(self.routes, self.invoke_raw)
        self._pollers = [SqsPoller(m, self.invoke_raw, self.region) for m in self.sqs_mappings if m.enabled]
        unemulated = [
            f"{logical_id}: {_UNEMULATED_TYPES[r['Type']]}"
            for logical_id, r in active.items()
            if r["Type"] in _UNEMULATED_TYPES
        ]
        self.warnings = ctx.warnings + api_warnings + schedule_warnings + sqs_warnings + unemulated
        for warning in self.warnings:
            log.warning("not emulated: %s", warning)

    def _function_specs(
        self,
        active: Mapping[str, dict[str, Any]],
        resolver: Resolver,
        registry: ResourceRegistry,
        warnings: list[str],
    ) -> dict[str, FunctionSpec]:
        specs: dict[str, FunctionSpec] = {}
        for logical_id, resource in active.items():
            if resource["Type"] != FUNCTION:
                continue
            props = resource.get("Properties", {})
            runtime = resolver.resolve_str(props.get("Runtime", ""), f"{logical_id} Runtime")
            if logical_id not in self.template.code_dirs:
                warnings.append(f"{logical_id}: no local CodeUri (inline, S3 or image code) - cannot run locally")
                continue
            if not runtime.startswith("python"):
                warnings.append(f"{logical_id}: runtime {runtime} cannot run in this Python process")
                continue
            handler = resolver.resolve_str(props["Handler"], f"{logical_id} Handler")
            module, attribute = self.template.handler_module(logical_id, handler)
            variables = resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
            identity = registry.get(logical_id)
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                function_name=identity.physical_id,
                arn=identity.attributes["Arn"],
                module=module,
                handler=attribute,
                import_root=str(self.template.import_root),
                layer_paths=self._layer_paths(logical_id, props.get("Layers", []), warnings),
                timeout_s=int(resolver.resolve(props.get("Timeout", 3))),
                memory_mb=int(resolver.resolve(props.get("MemorySize", 128))),
                region=self.region,
                environment={name: _env_value(value) for name, value in variables.items()},
            )
        return specs

    def _layer_paths(self, function_id: str, layers: list[Any], warnings: list[str]) -> list[str]:
        paths = []
        for layer in layers:
            local = self.template.layer_dir(layer["Ref"]) if isinstance(layer, dict) and "Ref" in layer else None
            if local is None:
                warnings.append(f"{function_id}: layer {layer} is not local; its packages must be installed here")
            else:
                paths.append(str(local))
        return paths

    # ------------------------------------------------------------------ lookups
    @property
    def registry(self) -> ResourceRegistry:
        if self._registry is None:
            raise RuntimeError("call deploy() first")
        return self._registry

    def resource(self, logical_id: str) -> DeployedResource:
        return self.registry.get(logical_id)

    def physical_id(self, logical_id: str) -> str:
        """What `Ref` gives: table name, queue URL, bucket name, topic ARN, function name, API id."""
        return self.registry.ref(logical_id)

    def function(self, function_id: str) -> FunctionSpec:
        if function_id not in self.functions:
            known = ", ".join(sorted(self.functions)) or "none"
            raise KeyError(f"unknown function {function_id!r} (known: {known})")
        return self.functions[function_id]

    # ------------------------------------------------------------------ invoking
    def invoke_raw(self, function_id: str, event: Any) -> Invocation:
        return self.runner.invoke(self.function(function_id), event)

    def invoke(self, function_id: str, event: Any) -> Any:
        """The handler's result, or Lambda's error document ({errorMessage, errorType, stackTrace})."""
        return self.invoke_raw(function_id, event).payload

    def api_request(
        self,
        method: str,
        path_with_query: str,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
    ) -> ApiResponse:
        """Exactly what the HTTP server does for one request, without the server."""
        data = body.encode() if isinstance(body, str) else body
        return self._gateway.handle(method, path_with_query, list((headers or {}).items()), data)

    def fire_schedule(self, schedule_or_function_id: str, input_override: Any = None) -> Any:
        """Fire a schedule now (by its logical id, or by the id of the only function it targets)."""
        schedule = self._schedule(schedule_or_function_id)
        return self._fire(schedule, input_override).payload

    def _schedule(self, wanted: str) -> Schedule:
        matches = [s for s in self.schedules if s.schedule_id == wanted] or [
            s for s in self.schedules if s.function_id == wanted
        ]
        if len(matches) != 1:
            known = ", ".join(f"{s.schedule_id} -> {s.function_id}" for s in self.schedules) or "none"
            problem = "several schedules match" if matches else "no schedule matches"
            raise KeyError(f"{problem} {wanted!r} (schedules: {known})")
        return matches[0]

    def _fire(self, schedule: Schedule, input_override: Any = None) -> Invocation:
        event = schedule.event(datetime.now(UTC), self.region) if input_override is None else input_override
        log.info("schedule %s fires %s", schedule.schedule_id, schedule.function_id)
        return self.invoke_raw(schedule.function_id, event)

    def drain(self, max_rounds: int = 10) -> int:
        """Poll every SQS mapping until a round receives nothing; returns the messages received.

        Test helper: failed messages are made visible again at once (not after the VisibilityTimeout),
        so a poison message reaches the DLQ within maxReceiveCount rounds.
        """
        total = 0
        for _ in range(max_rounds):
            received = sum(p.poll_once(0, redeliver_failed_now=True) for p in self._pollers)
            if received == 0:
                return total
            total += received
        raise RuntimeError(f"queues still had messages after {max_rounds} rounds ({total} received)")

    # ------------------------------------------------------------------ run mode
    def start_background(
        self,
        *,
        api_host: str = "127.0.0.1",
        api_port: int | None = DEFAULT_API_PORT,
        fire_schedules_on_start: bool = True,
    ) -> None:
        """Serve the API (api_port None = no server, 0 = any free port), run schedules and SQS pollers."""
        self.registry  # noqa: B018 - fails early if not deployed
        if api_port is not None and self.routes:
            self._api_server = ApiServer(self._gateway, api_host, api_port)
            self._api_server.start()
        for poller in self._pollers:
            thread = threading.Thread(
                target=poller.run, args=(self._stop,), name=f"sqs-{poller.mapping.logical_id}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        if self.schedules:
            self._scheduler = ScheduleRunner(self.schedules, self._fire, fire_on_start=fire_schedules_on_start)
            self._scheduler.start()

    @property
    def api_url(self) -> str | None:
        return self._api_server.url if self._api_server else None

    def stop(self) -> None:
        """Stop every background thread, the API server and the function workers (idempotent).

        The workers go first: an invocation in flight then ends at once instead of holding up a thread
        for up to the function's Timeout."""
        self._stop.set()
        self.runner.stop()
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        if self._api_server is not None:
            self._api_server.stop()
            self._api_server = None

    def state(self) -> dict[str, Any]:
        """JSON-able description (for .local-stack/state.json and `invoke` mode)."""
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "template": str(self.template.path),
            "parameters": self.template.parameters,
            "resources": {
                r.logical_id: {"type": r.type, "physical_id": r.physical_id, "attributes": r.attributes}
                for r in self.registry
                if r.created
            },
            "functions": {logical_id: spec.to_json() for logical_id, spec in self.functions.items()},
            "routes": [
                {"method": r.method, "path": r.resource, "function": r.target, "stage": r.stage} for r in self.routes
            ],
            "schedules": [
                {"id": s.schedule_id, "expression": s.expression, "timezone": s.timezone, "function": s.function_id}
                for s in self.schedules
            ],
            "sqs_mappings": [
                {"id": m.logical_id, "queue": m.queue_url, "function": m.function_id} for m in self.sqs_mappings
            ],
            "warnings": self.warnings,
        }


def _dependency_order(resources: Mapping[str, dict[str, Any]]) -> list[str]:
    """Topological order over Ref/GetAtt/Sub references and DependsOn (ties broken by logical id)."""
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        explicit = resource.get("DependsOn", [])
        explicit = [explicit] if isinstance(explicit, str) else explicit
        refs = referenced_ids(resource.get("Properties", {})) | set(explicit)
        depends[logical_id] = (refs & set(resources)) - {logical_id}
    order: list[str] = []
    ready = sorted(r for r, deps in depends.items() if not deps)
    while ready:
        current = ready.pop(0)
        order.append(current)
        for other in sorted(depends):
            if current in depends[other]:
                depends[other].discard(current)
                if not depends[other] and other not in order and other not in ready:
                    ready.append(other)
        ready.sort()
    if len(order) != len(resources):
        raise TemplateError(f"circular dependency between {sorted(set(resources) - set(order))}")
    return order


def _env_value(value: Any) -> str:
    if isinstance(value, list | dict):
        raise TemplateError(f"environment variable value {value!r} is not a string")
    return cfn_str(value)
