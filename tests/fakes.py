"""In-memory stand-ins for the data-access Protocols, for unit tests of the domain."""

from __future__ import annotations

from datetime import date, datetime

from steppewire.rates.ticker import DailyRate, TickerEntry


class InMemoryRatesRepository:
    def __init__(self) -> None:
        self.rates: dict[tuple[str, date], DailyRate] = {}
        self.entries: dict[str, TickerEntry] = {}
        self.writes = 0

    def put_rate(self, rate: DailyRate, fetched_at: datetime) -> None:
        self.writes += 1
        self.rates[(rate.currency, rate.effective_date)] = rate

    def latest_rates(self, currency: str, up_to: date, limit: int) -> list[DailyRate]:
        dates = sorted((d for (c, d) in self.rates if c == currency and d <= up_to), reverse=True)
        return [self.rates[(currency, d)] for d in dates[:limit]]

    def history(self, currency: str, start: date, end: date) -> list[DailyRate]:
        dates = sorted(d for (c, d) in self.rates if c == currency and start <= d <= end)
        return [self.rates[(currency, d)] for d in dates]

    def ticker(self) -> dict[str, TickerEntry]:
        return dict(self.entries)

    def put_ticker_entry(self, entry: TickerEntry, updated_at: datetime) -> None:
        self.writes += 1
        self.entries[entry.current.currency] = entry
