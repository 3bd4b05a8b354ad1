"""The ticker's arithmetic: USD per one unit of a local currency, and its change, in exact decimals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal

# Enough for the smallest currency (UZS/USD = 0.000082305611) to keep 8 significant digits:
# the seed site's 0.00008 is exactly what this avoids.
SIGNIFICANT_DIGITS = 8
_SIGNIFICANT = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)
_EXACT = Context(prec=34, rounding=ROUND_HALF_EVEN)
PERCENT_PLACES = Decimal("0.01")


def usd_per_unit(local_per_usd: Decimal) -> Decimal:
    """Invert a bank's quote (local currency per USD) into the ticker value (USD per local unit)."""
    return _SIGNIFICANT.divide(Decimal(1), local_per_usd)


def cross_rate(local_per_unit_of_base: Decimal, usd_per_unit_of_base: Decimal) -> Decimal:
    """Local currency per USD from two quotes against a third currency (the Bank of Russia's RUB)."""
    return _SIGNIFICANT.divide(usd_per_unit_of_base, local_per_unit_of_base)


def percent_change(previous_local_per_usd: Decimal, current_local_per_usd: Decimal) -> Decimal:
    """Change of USD-per-unit in percent, half-even to 2 places; never -0.00.

    USD-per-unit is 1/quote, so its relative change is previous_quote / current_quote - 1: computed
    from the quotes themselves, the percentage carries no rounding from the inverted values.
    """
    ratio = _EXACT.divide(previous_local_per_usd, current_local_per_usd)
    percent = ((ratio - 1) * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN)
    return percent if percent != 0 else Decimal("0.00")


def absolute_change(previous: Decimal, current: Decimal) -> Decimal:
    change = current - previous
    return change if change != 0 else Decimal(0)


def relative_difference(a: Decimal, b: Decimal) -> Decimal:
    """|a/b - 1|: how far two quotes of the same thing disagree."""
    return abs(_EXACT.divide(a, b) - 1)


@dataclass(frozen=True)
class DailyRate:
    """One currency's official rate for one effective date, as stored."""

    currency: str
    effective_date: date
    local_per_usd: Decimal  # as the source states it (or as crossed through RUB)
    source: str  # NBK, NBKR, NBT, CBU, CBT, CBR or PEG
    peg: bool = False

    @property
    def usd_per_unit(self) -> Decimal:
        return usd_per_unit(self.local_per_usd)

    @property
    def pair(self) -> str:
        return f"{self.currency}/USD"


@dataclass(frozen=True)
class TickerEntry:
    """What the ticker shows for one currency: the latest rate, the one before it, and whether it is stale."""

    current: DailyRate
    previous: DailyRate | None
    stale: bool = False
    stale_reason: str | None = None
    # When it was stored (None before it is): not part of what it shows, so an entry read back equals the
    # same entry computed again, and a run that changes nothing rewrites nothing (and moves no Last-Modified).
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def change(self) -> Decimal | None:
        if self.previous is None:
            return None
        return absolute_change(self.previous.usd_per_unit, self.current.usd_per_unit)

    @property
    def change_pct(self) -> Decimal | None:
        if self.previous is None:
            return None
        return percent_change(self.previous.local_per_usd, self.current.local_per_usd)
