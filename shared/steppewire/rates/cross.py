"""Any base, any currency: cross rates and conversions through the stored official rates against USD.

The rounding rule, one for `/rates` and `/rates/convert`:
- A cross rate is `base per USD / currency per USD`, both as stored, divided once and rounded half-even to
  8 significant digits (`ticker.cross_rate`; with base USD it is the ticker's own `rate`).
- A conversion multiplies the amount by that displayed rate exactly, with no further rounding: what
  `/rates/convert` answers is what anyone gets by hand from `/rates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, Inexact, Rounded

from steppewire.rates.currencies import PIVOT
from steppewire.rates.repository import RatesRepository
from steppewire.rates.ticker import DailyRate, cross_rate

# "The rate of a date" is the latest official rate on or before it, carried forward at most this far:
# weekends and holidays, never a stale figure passed off as the day's.
MAX_CARRY_FORWARD_DAYS = 14
# Products of an amount and a rate are exact: any rounding would be an error, not a silent change.
_EXACT = Context(prec=80, traps=[Inexact, Rounded])


class NoRate(LookupError):
    """No stored rate can serve that currency for that date."""

    def __init__(self, currency: str, requested: date | None) -> None:
        if requested is None:
            message = f"No rate is stored for {currency} yet"
        else:
            message = (
                f"No official {currency} rate on {requested} or in the {MAX_CARRY_FORWARD_DAYS} days before it "
                "(query parameter 'date')"
            )
        super().__init__(message)
        self.currency = currency
        self.requested = requested


@dataclass(frozen=True)
class Cross:
    """One unit of `currency` in `base`, through the two stored rates against USD (None for USD itself)."""

    base: str
    currency: str
    legs: tuple[DailyRate, ...]  # the stored rates used, base first; USD needs none
    requested: date | None

    def _per_usd(self, code: str) -> Decimal:
        return next((leg.local_per_usd for leg in self.legs if leg.currency == code), Decimal(1))

    @property
    def rate(self) -> Decimal:
        """Units of base per one unit of currency, 8 significant digits."""
        return cross_rate(self._per_usd(self.currency), self._per_usd(self.base))

    @property
    def inverse(self) -> Decimal:
        """Units of currency per one unit of base, 8 significant digits."""
        return cross_rate(self._per_usd(self.base), self._per_usd(self.currency))

    @property
    def date(self) -> date | None:
        """The oldest date the cross goes through (None when it goes through none: USD in USD)."""
        return min((leg.effective_date for leg in self.legs), default=None)

    @property
    def carried_forward(self) -> bool:
        return self.requested is not None and self.date is not None and self.date < self.requested


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """`amount` times the displayed rate, exactly (trailing zeros dropped: 3837949.65, not 3837949.650000)."""
    return _EXACT.multiply(amount, rate).normalize(_EXACT)


def stored_rates(repo: RatesRepository, currencies: Iterable[str], on: date | None) -> dict[str, DailyRate]:
    """Each currency's rate for `on` (the latest on or before it, at most MAX_CARRY_FORWARD_DAYS back) or,
    without a date, its latest (the ticker's, one read for all). USD is the pivot and needs none."""
    wanted = [code for code in dict.fromkeys(currencies) if code != PIVOT]
    if on is None:
        latest = {code: entry.current for code, entry in repo.ticker().items()}
    else:
        # By ordinal, not timedelta: 0001-01-05 has no date 14 days before it.
        oldest = date.fromordinal(max(1, on.toordinal() - MAX_CARRY_FORWARD_DAYS))
        latest = {code: found[0] for code in wanted if (found := repo.latest_rates(code, on, 1))}
        latest = {code: rate for code, rate in latest.items() if rate.effective_date >= oldest}
    for code in wanted:
        if code not in latest:
            raise NoRate(code, on)
    return {code: latest[code] for code in wanted}


def crosses(base: str, currencies: Iterable[str], rates: Mapping[str, DailyRate], on: date | None) -> list[Cross]:
    def legs(*codes: str) -> tuple[DailyRate, ...]:
        return tuple(rates[code] for code in dict.fromkeys(codes) if code != PIVOT)

    return [Cross(base, code, legs(base, code), on) for code in currencies]
