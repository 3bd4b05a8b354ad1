"""Configuration read from the environment the template gives each function, validated once per container.

A missing or malformed variable fails the first invocation with a message that names it. Plain
dataclasses rather than pydantic-settings: importing pydantic-settings costs ~100 ms of every cold
start (measured by `make bench`), and these settings are a handful of strings and numbers.
"""

from __future__ import annotations

import dataclasses
import os
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or wrong: a deployment problem, not a data problem."""


@cache
def load_settings(cls: type[T]) -> T:
    """The function's settings of that kind, read once per container (tests call `cache_clear`)."""
    return from_environment(cls)


def from_environment(cls: type[T]) -> T:
    """Fill a dataclass from environment variables named like its fields, upper-cased; empty = default."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]  # T is always a dataclass here
        name = spec.name.upper()
        raw = os.environ.get(name, "")
        if raw == "":
            if spec.default is dataclasses.MISSING:
                raise ConfigurationError(f"environment variable {name} is not set")
            continue
        convert = {"int": int, "float": float}.get(str(spec.type), str)  # annotations are strings here
        try:
            values[spec.name] = convert(raw)
        except ValueError as error:
            raise ConfigurationError(f"environment variable {name}={raw!r} is invalid: {error}") from error
    return cls(**values)


@dataclasses.dataclass(frozen=True)
class RatesSettings:
    rates_table_name: str
    rates_http_timeout_seconds: float = 20.0  # per feed, all attempts together
    rates_http_attempts: int = 3
    # The feed URL overrides (RATES_<CODE>_URL) are read by `rates.sources.feed_url_overrides`.


@dataclasses.dataclass(frozen=True)
class PublishSettings:
    articles_table_name: str
    index_queue_url: str
    idempotency_table_name: str


@dataclasses.dataclass(frozen=True)
class ImportSettings:
    articles_table_name: str
    import_queue_url: str  # the coordinator's own queue, to carry a long import on
    import_post_queue_url: str
    import_checkpoint_items: int
    import_safety_seconds: float


@dataclasses.dataclass(frozen=True)
class ImportWorkerSettings:
    articles_table_name: str
    bulk_index_queue_url: str  # imported posts are indexed apart from editors' uploads


@dataclasses.dataclass(frozen=True)
class ArticlesApiSettings:
    articles_table_name: str
    public_base_url: str = ""  # the feeds' and sitemaps' links; empty = the address the request came in at


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    search_table_name: str
    articles_bucket_name: str  # where the compiled synonyms are (search/synonyms.json)


@dataclasses.dataclass(frozen=True)
class IndexerSettings:
    search_table_name: str
    articles_table_name: str
