"""Plain value types of the rates domain: what a feed says, before any business rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class FeedFormatError(ValueError):
    """A feed answered, but not with a rate sheet we can trust (empty, HTML, truncated, wrong shape)."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class Quote:
    """`value` units of the sheet's base currency buy `nominal` units of `currency`."""

    currency: str
    nominal: Decimal
    value: Decimal

    @property
    def per_unit(self) -> Decimal:
        """Base currency per one unit of `currency` (exact: both operands come from the file)."""
        return self.value / self.nominal


@dataclass(frozen=True)
class RateSheet:
    """One feed document: the rates a bank states for one effective date, in its own base currency (see
    `sources.SOURCES`)."""

    source: str
    effective_date: date
    quotes: Mapping[str, Quote]
