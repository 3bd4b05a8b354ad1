"""API Gateway REST APIs (v1 proxy integration) in front of the local functions.

Routes come from the translated `AWS::ApiGateway::RestApi` bodies (swagger/OpenAPI `paths` with
`aws_proxy` integrations), so they are exactly what `sam deploy` would create. Requests are served at
the root path, without the stage prefix, like `sam local start-api`. A `mock` integration with fixed
header values (SAM's CORS preflight, from the Api's `Cors`) answers with its default response. With the API's
`MinimumCompressionSize`, a function's answer at least that long is gzipped for a client that accepts
gzip (API Gateway also speaks deflate; not emulated).
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from .functions import Invoke
from .intrinsics import ACCOUNT_ID, Resolver
from .resources import REST_API, ResourceRegistry

log = logging.getLogger("steppewire_local")

ANY_METHOD: Final = "ANY"
_SWAGGER_ANY: Final = "x-amazon-apigateway-any-method"
_HTTP_METHODS: Final = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_FUNCTION_ARN_IN_URI: Final = re.compile(r"functions/(arn:[^/]+)/invocations")
_PROXY_RESPONSE_KEYS: Final = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_HOP_BY_HOP: Final = frozenset({"content-length", "transfer-encoding", "connection"})
_RESPONSE_HEADER: Final = "method.response.header."


@dataclass(frozen=True)
class MockIntegration:
    """The fixed answer of a `mock` integration: its default response's status, headers and JSON template."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass(frozen=True)
class Route:
    api_logical_id: str
    api_id: str
    stage: str
    stage_variables: dict[str, str] | None
    method: str
    """Upper-case HTTP method or ANY."""
    resource: str
    """The path template, e.g. /rates/{currency}/history."""
    function_id: str | None
    """None for a mock integration."""
    mock: MockIntegration | None = None
    minimum_compression_size: int | None = None
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(s for s in self.resource.split("/") if s))

    @property
    def target(self) -> str:
        return self.function_id or "mock"

    def rank(self) -> tuple[int, ...]:
        """Literal segments beat {param}, which beats {greedy+}: API Gateway picks the most specific."""
        return tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in self.segments)

    def match(self, parts: Sequence[str]) -> dict[str, str] | None:
        """Path parameters if `parts` (decoded path segments) fit this resource, else None."""
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                if index >= len(parts):
                    return None
                params[segment[1:-2]] = "/".join(parts[index:])
                return params
            if index >= len(parts):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                params[segment[1:-1]] = parts[index]
            elif segment != parts[index]:
                return None
        return params if len(parts) == len(self.segments) else None


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: list[tuple[str, str]]
    """As sent on the wire; a name may repeat (multiValueHeaders)."""
    body: bytes

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str | None:
        """The last value of a header, case-insensitively."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


def routes_from_template(
    resources: Mapping[str, dict[str, Any]],
    resolver: Resolver,
    registry: ResourceRegistry,
    functions: Mapping[str, str],
) -> tuple[list[Route], list[str]]:
    """Routes of every REST API; `functions` maps function ARN → logical id. Returns (routes, warnings)."""
    stages = {
        resolver.resolve_str(props["RestApiId"], "Stage RestApiId"): props
        for props in (r.get("Properties", {}) for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage")
    }
    routes: list[Route] = []
    warnings: list[str] = []
    for logical_id, resource in resources.items():
        if resource["Type"] != REST_API:
            continue
        api_id = registry.ref(logical_id)
        body = resource.get("Properties", {}).get("Body")
        if not isinstance(body, dict):
            warnings.append(f"{logical_id}: REST API without an inline Body (DefinitionUri?) is not served")
            continue
        stage_props = stages.get(api_id, {})
        stage = resolver.resolve_str(stage_props.get("StageName", "local"), "StageName")
        variables = resolver.resolve(stage_props["Variables"]) if stage_props.get("Variables") else None
        compression = resource["Properties"].get("MinimumCompressionSize")
        compress_from = (
            None if compression is None else int(resolver.resolve_str(compression, "MinimumCompressionSize"))
        )
        for path, operations in body.get("paths", {}).items():
            for verb, operation in operations.items():
                if verb != _SWAGGER_ANY and verb not in _HTTP_METHODS:
                    continue  # path-level keys such as `parameters`
                integration = operation.get("x-amazon-apigateway-integration") or {}
                method = ANY_METHOD if verb == _SWAGGER_ANY else verb.upper()
                where = f"{logical_id} {method} {path}"
                if integration.get("type") == "mock":
                    mock = _mock_integration(integration, resolver, where)
                    if isinstance(mock, str):
                        warnings.append(mock)
                    else:
                        routes.append(
                            Route(logical_id, api_id, stage, variables, method, path, None, mock, compress_from)
                        )
                    continue
                if integration.get("type") != "aws_proxy":
                    warnings.append(f"{where}: integration {integration.get('type')!r} is not emulated")
                    continue
                uri = resolver.resolve_str(integration.get("uri"), f"{where} integration uri")
                arn = _FUNCTION_ARN_IN_URI.search(uri)
                function_id = functions.get(arn.group(1)) if arn else None
                if function_id is None:
                    warnings.append(f"{where}: integration target {uri} is not a local function")
                    continue
                routes.append(
                    Route(logical_id, api_id, stage, variables, method, path, function_id, None, compress_from)
                )
    return routes, warnings


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether `Accept-Encoding` allows gzip: named (or `*`) with a q-value above 0."""
    weights: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0  # a q-value that is not a number accepts nothing
        if coding:
            weights[coding.lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def _mock_integration(integration: dict[str, Any], resolver: Resolver, where: str) -> MockIntegration | str:
    """The mock's default answer, or why it is not emulated (a mapping that is not a fixed 'value')."""
    default = (integration.get("responses") or {}).get("default") or {}
    headers: list[tuple[str, str]] = []
    for name, mapped in (default.get("responseParameters") or {}).items():
        value = resolver.resolve_str(mapped, f"{where} {name}")
        if not name.startswith(_RESPONSE_HEADER) or len(value) < 2 or not value[0] == value[-1] == "'":
            return f"{where}: mock response mapping {name} = {value} is not emulated"
        headers.append((name.removeprefix(_RESPONSE_HEADER), value[1:-1]))
    body = (default.get("responseTemplates") or {}).get("application/json", "")
    return MockIntegration(int(default.get("statusCode", 200)), tuple(headers), str(body))


class ApiGateway:
    """Routing, v1 proxy event building and response mapping, shared by the HTTP server and tests."""

    def __init__(self, routes: Sequence[Route], invoke: Invoke) -> None:
        self.routes = list(routes)
        self._invoke = invoke

    def handle(
        self,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        source_ip: str = "127.0.0.1",
    ) -> ApiResponse:
        """`target` is the request target: path plus optional ?query."""
        request_id = str(uuid.uuid4())
        split = urlsplit(target)
        # Split before decoding so an encoded %2F stays inside its segment.
        parts = [unquote(part) for part in split.path.split("/") if part]
        matched = self._match(method.upper(), parts)
        if matched is None:
            return _error_response(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        route, path_parameters = matched
        if route.mock is not None:
            mock_headers = [*route.mock.headers, ("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
            return ApiResponse(route.mock.status, mock_headers, route.mock.body.encode())
        assert route.function_id is not None  # a route is a mock or a function's
        event = _proxy_event(
            route,
            method.upper(),
            "/" + "/".join(parts),
            split.query,
            path_parameters,
            headers,
            body,
            source_ip,
            request_id,
        )
        invocation = self._invoke(route.function_id, event)
        if not invocation.ok:
            return _error_response(502, "Internal server error", None, request_id)
        response = _map_response(invocation.result, request_id)
        accept_encoding = next((value for name, value in headers if name.lower() == "accept-encoding"), None)
        if (
            route.minimum_compression_size is not None
            and len(response.body) >= route.minimum_compression_size
            and response.header("Content-Encoding") is None
            and accepts_gzip(accept_encoding)
        ):
            zipped = gzip.compress(response.body, mtime=0)  # mtime 0: the same answer gives the same bytes
            return ApiResponse(response.status, [*response.headers, ("Content-Encoding", "gzip")], zipped)
        return response

    def _match(self, method: str, parts: Sequence[str]) -> tuple[Route, dict[str, str]] | None:
        # API Gateway first picks the most specific resource, then the method on it.
        candidates = [(route, params) for route in self.routes if (params := route.match(parts)) is not None]
        if not candidates:
            return None
        best_rank = min(route.rank() for route, _ in candidates)
        on_resource = [(r, p) for r, p in candidates if r.rank() == best_rank]
        for wanted in (method, ANY_METHOD):
            for route, params in on_resource:
                if route.method == wanted:
                    return route, params
        return None


def _proxy_event(
    route: Route,
    method: str,
    path: str,
    query: str,
    path_parameters: dict[str, str],
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    source_ip: str,
    request_id: str,
) -> dict[str, Any]:
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    text_body: str | None = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode("ascii"), True
    now = datetime.now(UTC)
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": method,
        # Single-value maps keep the last value, as API Gateway does.
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": route.stage_variables,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": route.api_id,
            "domainName": f"{route.api_id}.execute-api.localhost",
            "domainPrefix": route.api_id,
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "path": f"/{route.stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": route.api_id[:6],
            "resourcePath": route.resource,
            "stage": route.stage,
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def _map_response(result: Any, request_id: str) -> ApiResponse:
    """A proxy integration result → HTTP response; malformed results are a 502, as in API Gateway."""
    if not isinstance(result, dict) or not set(result) <= _PROXY_RESPONSE_KEYS:
        log.error("malformed Lambda proxy response: %r", result)
        return _error_response(502, "Internal server error", None, request_id)
    try:
        status = int(result.get("statusCode", 200))
        body_field = result.get("body") or ""
        if not isinstance(body_field, str):
            raise ValueError("body must be a string")
        body = base64.b64decode(body_field) if result.get("isBase64Encoded") else body_field.encode()
        multi = {str(k): [str(v) for v in vs] for k, vs in (result.get("multiValueHeaders") or {}).items()}
        single = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    except (TypeError, ValueError, AttributeError):
        log.error("malformed Lambda proxy response: %r", result)
        return _error_response(502, "Internal server error", None, request_id)
    # API Gateway merges both maps; for a name present in both, multiValueHeaders wins.
    known = {name.lower() for name in multi}
    headers = [(name, value) for name, values in multi.items() for value in values]
    headers += [(name, value) for name, value in single.items() if name.lower() not in known]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return ApiResponse(status, headers, body)


def _error_response(status: int, message: str, error_type: str | None, request_id: str | None = None) -> ApiResponse:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id or str(uuid.uuid4()))]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return ApiResponse(status, headers, json.dumps({"message": message}).encode())


class BackgroundHttpServer:
    """A stdlib ThreadingHTTPServer (port 0 = any free port) served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str, port: int, name: str) -> None:
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class ApiServer(BackgroundHttpServer):
    """`ApiGateway` behind the server (the runner decides what runs concurrently)."""

    def __init__(self, gateway: ApiGateway, host: str, port: int) -> None:
        super().__init__(_handler_class(gateway), host, port, "api-gateway")


def _handler_class(gateway: ApiGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            response = gateway.handle(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in _HOP_BY_HOP:  # framing is ours to decide
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            log.debug(  # the invocation's own line already says function, status and time
                "%s %s -> %d (%.0f ms)",
                self.command,
                self.path,
                response.status,
                (time.perf_counter() - started) * 1000,
            )

        def __getattr__(self, name: str) -> Any:
            # Every method reaches the gateway, as on API Gateway (TRACE, made-up ones): a route or a JSON
            # 403, never http.server's 501 HTML page.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            """Quiet: `_serve` logs each request (at DEBUG)."""

    return Handler
