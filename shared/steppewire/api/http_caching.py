"""HTTP done once for every API answer: validators and 304, freshness, CORS, nosniff, HEAD.

`build_resolver` applies `finish` to every answer of every route (errors and "no route" too), so a route
only says how fresh its answer is, with a route middleware, in one line of its decorator:

    @router.get("/things", ..., middlewares=[cacheable(EDITORIAL)])
    @router.get("/things/<slug>", ..., middlewares=[cacheable(EDITORIAL, version=lambda t: (t["slug"], t["revision"]),
                                                              last_modified=lambda t: t["updated_at"])])
    @router.get("/sitemaps/<month>", ..., middlewares=[cacheable(lambda arguments: ...(arguments["month"]))])

- freshness: a `Freshness`, or a function of the route's arguments (by parameter name, as validated: what
  the route was called with) that gives one, so that it holds for an answer of any media type (JSON, XML,
  CSV);
- version (optional): what identifies the answer's content; default: a digest of the body it sends;
- last_modified (optional): when the content last changed, only where the store knows it (an ISO 8601
  text or a datetime; None for an answer it does not know of). Without it there is no `Last-Modified`: a
  made-up one would answer 304 wrongly.
- vary (optional): the request headers the route's answer depends on (`Accept` where it negotiates the
  media type), added to the `Vary` every answer carries.

A route without `cacheable` still gets its ETag and 304s, with `no-cache` (stored, revalidated every
time). Every 4xx is `no-store`. HEAD is answered as GET without the body (API Gateway needs a HEAD
method on the resource: each GET event in template.yaml has its `Head` twin). Compression is API
Gateway's (the Api's MinimumCompressionSize): `Vary: Accept-Encoding` says so to caches.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Final, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from steppewire.settings import load_settings

STALE_IF_ERROR: Final = 86_400  # a CDN may serve the last good answer for a day while the origin fails
EXPOSED_HEADERS: Final = ("ETag", "Last-Modified", "Cache-Control", "x-amzn-RequestId")
_CACHE_CONTROL: Final = "Cache-Control"
_VARY: Final = "Vary"

Answer = dict[str, Any]  # a route's answer, serialized for JSON (dates as text, fields by their alias)
Arguments = dict[str, Any]  # a route's arguments by parameter name, validated (dates as dates)


@dataclasses.dataclass(frozen=True)
class Freshness:
    """How long a shared cache or a browser may use an answer without asking again."""

    max_age: int
    stale_while_revalidate: int = 0

    def header(self) -> str:
        directives = ["public", f"max-age={max(0, self.max_age)}"]
        if self.stale_while_revalidate:
            directives.append(f"stale-while-revalidate={self.stale_while_revalidate}")
        return ", ".join([*directives, f"stale-if-error={STALE_IF_ERROR}"])


EDITORIAL: Final = Freshness(60, stale_while_revalidate=120)  # articles, lists: an edit shows within minutes
SEARCH_RESULTS: Final = Freshness(20, stale_while_revalidate=20)  # a just-published article is found soon
# Feeds and the news sitemap: a just-published article reaches readers and crawlers within a minute, CDN or not.
SYNDICATION: Final = Freshness(30, stale_while_revalidate=30)
CLOSED: Final = Freshness(86_400, stale_while_revalidate=86_400)  # a period that is over: only a backfill changes it
DEPLOYED: Final = Freshness(3600, stale_while_revalidate=86_400)  # changes only with a deployment (OpenAPI)
UNDECLARED: Final = f"public, no-cache, stale-if-error={STALE_IF_ERROR}"


@dataclasses.dataclass(frozen=True)
class HttpSettings:
    api_allow_origin: str = "*"  # from the template parameter CorsAllowOrigin


class cacheable(BaseMiddlewareHandler[ApiGatewayResolver]):  # noqa: N801  # reads as a declaration on the route
    """A route middleware: the answer's Cache-Control, and its ETag and Last-Modified where declared."""

    def __init__(
        self,
        freshness: Freshness | Callable[[Arguments], Freshness],
        *,
        version: Callable[[Answer], object] | None = None,
        last_modified: Callable[[Answer], str | datetime | None] | None = None,
        vary: tuple[str, ...] = (),
    ) -> None:
        self.freshness = freshness
        self.version = version
        self.last_modified = last_modified
        self.vary = vary

    def handler(self, app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response[Any]:
        response = next_middleware(app)
        if response.status_code != 200:
            return response
        answer = cast(Answer, response.body)
        if isinstance(self.freshness, Freshness):
            freshness = self.freshness
        else:
            # Where Powertools' request validation leaves the arguments it calls the route with.
            freshness = self.freshness(cast(Arguments, app.context.get("_route_args", {})))
        response.headers[_CACHE_CONTROL] = freshness.header()
        if self.vary:
            response.headers[_VARY] = ", ".join(self.vary)
        if self.version is not None:
            response.headers["ETag"] = _strong_etag(json.dumps(self.version(answer), default=str).encode())
        changed = self.last_modified(answer) if self.last_modified is not None else None
        if changed is not None:
            response.headers["Last-Modified"] = http_date(changed)
        return response


def http_date(moment: str | datetime) -> str:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def as_get(event: dict[str, Any]) -> dict[str, Any]:
    """A HEAD request is routed as the GET it asks about (`finish` then drops the body)."""
    if event.get("httpMethod") != "HEAD":
        return event
    context = {**(event.get("requestContext") or {}), "httpMethod": "GET"}
    return {**event, "httpMethod": "GET", "requestContext": context}


def finish(event: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The resolver's proxy answer to `event` with the HTTP rules above applied."""
    request = APIGatewayProxyEvent(event)
    headers = _Headers(answer.get("multiValueHeaders") or {}, answer.get("headers") or {})
    status = int(answer["statusCode"])
    body = _body_bytes(answer)
    origin = load_settings(HttpSettings).api_allow_origin
    headers.set("X-Content-Type-Options", "nosniff")
    headers.set("Access-Control-Allow-Origin", origin)
    headers.set("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS))
    # The answer does not depend on Origin (one allowed origin, always sent); caches are told anyway.
    route_vary = headers.get(_VARY)
    vary = ["Accept-Encoding", *([] if origin == "*" else ["Origin"]), *([route_vary] if route_vary else [])]
    headers.set(_VARY, ", ".join(vary))
    if status != 200:
        headers.set(_CACHE_CONTROL, "no-store")
        return _answer(status, headers, body, request, binary=bool(answer.get("isBase64Encoded")))
    if headers.get(_CACHE_CONTROL) is None:
        headers.set(_CACHE_CONTROL, UNDECLARED)
    etag = headers.get("ETag") or _strong_etag(body)
    headers.set("ETag", etag)
    if _not_modified(request, etag, headers.get("Last-Modified")):
        # The 200's Content-Type stays: without one API Gateway adds application/json, and a cache
        # updates its stored headers from a 304's (RFC 9111 4.3.4): an RSS feed would turn into JSON.
        return _answer(304, headers, b"", request, binary=False)
    return _answer(200, headers, body, request, binary=bool(answer.get("isBase64Encoded")))


def _not_modified(request: APIGatewayProxyEvent, etag: str, last_modified: str | None) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present (weak comparison); else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        wanted = _opaque(etag)
        return any(tag == "*" or _opaque(tag) == wanted for tag in _entity_tags(if_none_match))
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 says


def _entity_tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _opaque(tag: str) -> str:
    """The tag without W/ (If-None-Match compares weakly) and its quotes."""
    return tag.removeprefix("W/").strip('"')


def _strong_etag(content: bytes) -> str:
    return '"' + base64.urlsafe_b64encode(hashlib.sha256(content).digest()[:18]).decode() + '"'


def _body_bytes(answer: dict[str, Any]) -> bytes:
    body = answer.get("body") or ""
    return base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()


def _answer(
    status: int, headers: _Headers, body: bytes, request: APIGatewayProxyEvent, *, binary: bool
) -> dict[str, Any]:
    if request.http_method == "HEAD":
        body = b""
    return {
        "statusCode": status,
        "multiValueHeaders": headers.values,
        "body": base64.b64encode(body).decode() if binary else body.decode(),
        "isBase64Encoded": binary,
    }


class _Headers:
    """Response headers by case-insensitive name (Powertools answers REST APIs with multiValueHeaders)."""

    def __init__(self, multi: dict[str, list[str]], single: dict[str, str]) -> None:
        self.values: dict[str, list[str]] = {name: [value] for name, value in single.items()}
        for name, values in multi.items():
            self.remove(name)
            self.values[name] = list(values)

    def _name(self, name: str) -> str | None:
        return next((key for key in self.values if key.lower() == name.lower()), None)

    def get(self, name: str) -> str | None:
        key = self._name(name)
        return self.values[key][-1] if key is not None and self.values[key] else None

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self.values[name] = [value]

    def remove(self, name: str) -> None:
        if (key := self._name(name)) is not None:
            del self.values[key]
