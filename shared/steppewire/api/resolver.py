"""The one way an API function builds its resolver: validation on, domain errors mapped to clear 4xx bodies,
and the HTTP rules of `http_caching` (validators, freshness, CORS, HEAD) on every answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from steppewire.api.http_caching import DEPLOYED, as_get, cacheable, finish
from steppewire.observability import logger, metrics, tracer

OPENAPI_TITLE = "Steppe Wire API"
OPENAPI_VERSION = "1.0.0"


class NotFound(Exception):
    """The addressed thing does not exist (unknown currency, unknown slug)."""


class BadRequest(Exception):
    """Parameters that are individually valid but do not make sense together (e.g. from after to)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class ErrorBody(BaseModel):
    """Every 4xx answer: the status, a message naming what is wrong and, for parameters, where."""

    statusCode: int  # noqa: N815  # the JSON field name clients read
    message: str
    detail: list[dict[str, Any]] | None = None


_ERROR_MEANINGS = {
    400: "Parameters that are each valid but do not make sense together (the detail names the parameter)",
    404: "No such thing (unknown currency, unknown or scheduled article)",
    422: "A parameter is malformed or out of range (the detail names it)",
}


def documented(success: type[BaseModel], *errors: int) -> dict[int, OpenAPIResponse]:
    """A route's answers for OpenAPI: its 200 model, validation's 422 and the other errors it gives."""
    answers: dict[int, OpenAPIResponse] = {
        200: {"description": "Successful Response", "content": {content_types.APPLICATION_JSON: {"model": success}}}
    }
    for status in (*errors, 422):
        answers[status] = {
            "description": _ERROR_MEANINGS[status],
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
    return answers


def decimal_text(value: Decimal) -> str:
    """Exact decimal as JSON text, never in exponent notation (0.000082305611, not 8.2305611E-5)."""
    return format(value, "f")


def _error(status: int, message: str, detail: list[dict[str, Any]] | None = None) -> Response[str]:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if detail is not None:
        body["detail"] = detail
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _describe(error: dict[str, Any]) -> str:
    where, *path = error.get("loc", ("request",))
    name = ".".join(str(part) for part in path) or where
    kind = {"query": "query parameter", "path": "path parameter", "body": "body field"}.get(str(where), where)
    return f"{kind} '{name}': {error.get('msg', 'invalid value')}"


class _HttpResolver(APIGatewayRestResolver):
    """Outside Powertools' routing, so that errors and "no route" answers get the HTTP rules too."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        request = dict(event)
        return finish(request, super().resolve(as_get(request), context))


def build_resolver(*routers: APIGatewayRouter) -> APIGatewayRestResolver:
    app = _HttpResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[str]:
        errors = [dict(e) for e in error.errors()]
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors]
        return _error(422, "; ".join(_describe(e) for e in errors), detail)

    @app.exception_handler(BadRequest)
    def bad_request(error: BadRequest) -> Response[str]:
        return _error(400, error.message, [{"loc": ["query", error.parameter], "msg": error.message}])

    @app.exception_handler(NotFound)
    def not_found(error: NotFound) -> Response[str]:
        return _error(404, str(error))

    @app.not_found
    def no_route(_: Exception) -> Response[str]:
        return _error(404, f"No route for {app.current_event.http_method} {app.current_event.path}")

    @app.get("/openapi.json", include_in_schema=False, middlewares=[cacheable(DEPLOYED)])
    def openapi_document() -> Response[str]:
        return Response(200, content_types.APPLICATION_JSON, committed_openapi_document())

    return app


@cache
def committed_openapi_document() -> str:
    """The document generated by `make openapi` and shipped in the layer (no schema work at cold start)."""
    return resources.files("steppewire.api").joinpath("openapi.json").read_text(encoding="utf-8")


LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def api_handler(*routers: APIGatewayRouter) -> LambdaHandler:
    """The Lambda entry point of an API function: logging with the request id, tracing, metrics, routing."""
    app = build_resolver(*routers)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return cast(LambdaHandler, lambda_handler)  # Powertools' decorators are untyped
