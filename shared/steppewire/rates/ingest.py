"""One ingestion run: from the feeds' answers to stored rates and a fresh ticker.

Rules, in order:
0. A sheet serves the requested day only if it is dated that day or up to MAX_SHEET_AGE_DAYS before
   (weekends, holidays); a sheet dated after it (NBKR re-dates its file for tomorrow each afternoon; a
   bank may answer an odd date with another day's sheet) is not used: that day's own run stores it.
   Nothing is stored for a day that has not begun in Almaty.
Then for each currency:
1. Candidates: the currency's sources in their order (`currencies.CURRENCIES`: for the five, the national
   bank's own USD quote, then the Bank of Russia cross through RUB; for EUR, RUB and CNY the Bank of Russia,
   then NBK's cross through KZT), then its official peg (TMT). The first candidate whose source answered
   is the one considered; a source that answered with something implausible does not hand over to the
   next one.
2. Plausibility: a national quote more than CROSS_CHECK_TOLERANCE away from the Bank of Russia
   cross, or any quote more than MAX_DAILY_MOVE away from the previous stored rate, is rejected: the
   previous rate stays in the ticker, flagged stale, and the run reports why (EUR, RUB and CNY, whose
   rate is the Bank of Russia's own, are bound by the previous rate only). The cross only judges a
   national quote when it is itself plausible: within MAX_DAILY_MOVE of the currency's previous stored
   rate, and in agreement with most of the other national quotes (when the CBR sheet disagrees with most
   of them, e.g. a USD row off by 100, the CBR sheet is the outlier and is used for nothing).
3. Storage is idempotent: a rate already stored for that date by the same source with the same value,
   or by a preferred source, is left alone; the ticker is only rewritten when what it shows changes.
A live run (not a backfill) also records each source's outcome, for `GET /rates/sources`.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from steppewire.rates.currencies import BY_CURRENCY, CURRENCIES, STORED_CURRENCIES
from steppewire.rates.feeds import FeedResult
from steppewire.rates.model import RateSheet
from steppewire.rates.repository import RatesRepository
from steppewire.rates.sources import BY_CODE, FALLBACK_SOURCE
from steppewire.rates.status import SourceStatus
from steppewire.rates.ticker import DailyRate, TickerEntry, cross_rate, relative_difference

# A peg is served only when no feed answers.
PEG_SOURCE = "PEG"
# The currencies the Bank of Russia sheet backs up, with the source it backs up: what judges that sheet.
_BACKED_UP_BY_CROSS: Mapping[str, str] = {
    c.code: c.primary for c in CURRENCIES if c.primary and c.fallback == FALLBACK_SOURCE
}

CROSS_CHECK_TOLERANCE = Decimal("0.05")  # CBR crosses run through RUB and may be a business day apart
MAX_DAILY_MOVE = Decimal("0.20")  # beyond the steepest official devaluation in the region since 2015
# A cross-check only compares like with like: rates at most this far apart in effective date.
CROSS_CHECK_MAX_DAYS = 4
# The longest run of days without a new sheet: Russia's New Year holidays (CBR), 1-8 January.
MAX_SHEET_AGE_DAYS = 10


class Outcome(StrEnum):
    STORED = "stored"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class CurrencyReport:
    currency: str
    outcome: Outcome
    detail: str
    rate: DailyRate | None = None


@dataclass(frozen=True)
class IngestReport:
    requested_date: date
    sources: Mapping[str, FeedResult]
    currencies: Mapping[str, CurrencyReport]

    def as_dict(self) -> dict[str, object]:
        return {
            "date": self.requested_date.isoformat(),
            "sources": {
                name: {"ok": result.sheet is not None, "url": result.url, "error": result.error}
                | ({"date": result.sheet.effective_date.isoformat()} if result.sheet else {})
                for name, result in self.sources.items()
            },
            "currencies": {
                cur: {"outcome": report.outcome.value, "detail": report.detail}
                | (
                    {
                        "date": report.rate.effective_date.isoformat(),
                        "source": report.rate.source,
                        "local_per_usd": str(report.rate.local_per_usd),
                    }
                    if report.rate
                    else {}
                )
                for cur, report in self.currencies.items()
            },
        }


def source_preference(currency: str, source: str) -> int:
    """Higher is preferred, when two sources give a rate for the same currency and date."""
    ranked = (*BY_CURRENCY[currency].sources, PEG_SOURCE)
    return len(ranked) - ranked.index(source)


def national_rate(currency: str, sheet: RateSheet) -> DailyRate | None:
    usd = sheet.quotes.get("USD")
    if usd is None or BY_CODE[sheet.source].base != currency:
        return None
    return DailyRate(currency, sheet.effective_date, usd.per_unit, sheet.source)


def fallback_cross_rate(currency: str, sheet: RateSheet) -> DailyRate | None:
    local, usd = sheet.quotes.get(currency), sheet.quotes.get("USD")
    if local is None or usd is None:
        return None
    return DailyRate(currency, sheet.effective_date, cross_rate(local.per_unit, usd.per_unit), sheet.source)


def sheet_rate(currency: str, sheet: RateSheet) -> DailyRate | None:
    """The sheet's own USD quote when it is quoted in `currency`, else its cross through its base."""
    return national_rate(currency, sheet) or fallback_cross_rate(currency, sheet)


def candidate_rates(currency: str, sheets: Mapping[str, RateSheet], on: date) -> list[DailyRate]:
    """Available candidates in order of preference."""
    facts = BY_CURRENCY[currency]
    candidates = [sheet_rate(currency, sheets[source]) for source in facts.sources if source in sheets]
    if facts.peg_per_usd is not None:
        candidates.append(DailyRate(currency, on, facts.peg_per_usd, PEG_SOURCE, peg=True))
    return [candidate for candidate in candidates if candidate is not None]


def implausibility(candidate: DailyRate, cross_check: DailyRate | None, previous: DailyRate | None) -> str | None:
    if cross_check is not None and cross_check.source != candidate.source and _comparable(cross_check, candidate):
        gap = relative_difference(candidate.local_per_usd, cross_check.local_per_usd)
        if gap > CROSS_CHECK_TOLERANCE:
            return (
                f"{candidate.source} gives {candidate.local_per_usd} {candidate.currency} per USD, "
                f"{gap:.1%} away from the {cross_check.source} cross {cross_check.local_per_usd} "
                f"(tolerance {CROSS_CHECK_TOLERANCE:.0%})"
            )
    if previous is not None:
        move = relative_difference(candidate.local_per_usd, previous.local_per_usd)
        if move > MAX_DAILY_MOVE:
            return (
                f"{candidate.source} gives {candidate.local_per_usd} {candidate.currency} per USD, a "
                f"{move:.1%} move from {previous.local_per_usd} on {previous.effective_date} "
                f"(bound {MAX_DAILY_MOVE:.0%})"
            )
    return None


def sheet_date_problem(sheet: RateSheet, requested: date) -> str | None:
    """Why a sheet cannot serve the requested day, or None when it can."""
    age = (requested - sheet.effective_date).days
    if age < 0:
        return f"its sheet is dated {sheet.effective_date}, after the requested {requested}"
    if age > MAX_SHEET_AGE_DAYS:
        return (
            f"its sheet is dated {sheet.effective_date}, more than {MAX_SHEET_AGE_DAYS} days "
            f"before the requested {requested}"
        )
    return None


def unusable(result: FeedResult, problem: str) -> FeedResult:
    """The source's answer turned into a failure: it answered, but not with a sheet the run may use."""
    return replace(result, sheet=None, error=f"unusable answer: {problem}")


def for_requested_day(result: FeedResult, requested: date) -> FeedResult:
    """The feed's answer, or a failure naming the date when its sheet is not for the requested day."""
    problem = sheet_date_problem(result.sheet, requested) if result.sheet else None
    return unusable(result, problem) if problem else result


def cross_outlier_problem(sheets: Mapping[str, RateSheet]) -> str | None:
    """Why the Bank of Russia sheet must not judge or replace national quotes: it disagrees with most of
    the national quotes it can be compared with (at least two). None when it is trusted."""
    cross = sheets.get(FALLBACK_SOURCE)
    if cross is None:
        return None
    disagreeing, compared = [], 0
    for currency, source in _BACKED_UP_BY_CROSS.items():
        national = national_rate(currency, sheets[source]) if source in sheets else None
        crossed = fallback_cross_rate(currency, cross)
        if national is None or crossed is None or not _comparable(national, crossed):
            continue
        compared += 1
        if relative_difference(national.local_per_usd, crossed.local_per_usd) > CROSS_CHECK_TOLERANCE:
            disagreeing.append(currency)
    if compared >= 2 and 2 * len(disagreeing) > compared:
        return (
            f"its crosses disagree with {len(disagreeing)} of {compared} national rates "
            f"({', '.join(disagreeing)}) by more than {CROSS_CHECK_TOLERANCE:.0%}, so the {FALLBACK_SOURCE} sheet "
            "is taken as the outlier"
        )
    return None


def _comparable(a: DailyRate, b: DailyRate) -> bool:
    return abs((a.effective_date - b.effective_date).days) <= CROSS_CHECK_MAX_DAYS


def _unavailable_detail(currency: str, sources: Mapping[str, FeedResult]) -> str:
    names = BY_CURRENCY[currency].sources
    return "; ".join(f"{name}: {sources[name].error or f'no {currency} rate'}" for name in names if name in sources)


class RatesIngestion:
    def __init__(self, repository: RatesRepository, clock: datetime) -> None:
        self._repo = repository
        self._now = clock

    def _store(self, rate: DailyRate, existing: DailyRate | None) -> Outcome:
        if existing is not None and (
            source_preference(rate.currency, existing.source) > source_preference(rate.currency, rate.source)
            or (existing.source == rate.source and existing.local_per_usd == rate.local_per_usd)
        ):
            return Outcome.UNCHANGED
        self._repo.put_rate(rate, self._now)
        return Outcome.STORED

    def _ingest_currency(self, currency: str, requested: date, sources: Mapping[str, FeedResult]) -> CurrencyReport:
        sheets = {name: result.sheet for name, result in sources.items() if result.sheet is not None}
        candidates = candidate_rates(currency, sheets, requested)
        if not candidates:
            return CurrencyReport(currency, Outcome.UNAVAILABLE, _unavailable_detail(currency, sources))
        chosen, *others = candidates
        cross_check = next((rate for rate in others if rate.source == FALLBACK_SOURCE), None)
        # One read gives both the rate already stored for that date (if any) and the one before it.
        stored = self._repo.latest_rates(currency, chosen.effective_date, 2)
        existing = stored[0] if stored and stored[0].effective_date == chosen.effective_date else None
        previous = next((rate for rate in stored if rate.effective_date < chosen.effective_date), None)
        if cross_check is not None and previous is not None and implausibility(cross_check, None, previous):
            cross_check = None  # a cross that has itself jumped from the previous rate judges nothing
        problem = implausibility(chosen, cross_check, previous)
        if problem:
            return CurrencyReport(currency, Outcome.REJECTED, problem, chosen)
        outcome = self._store(chosen, existing)
        return CurrencyReport(currency, outcome, f"from {chosen.source}", chosen)

    def _refresh_ticker_entry(self, report: CurrencyReport, shown: TickerEntry | None, mark_stale: bool) -> None:
        latest = self._repo.latest_rates(report.currency, self._now.date(), 2)
        if not latest:
            return
        entry = TickerEntry(current=latest[0], previous=latest[1] if len(latest) > 1 else None)
        if mark_stale and report.outcome in (Outcome.REJECTED, Outcome.UNAVAILABLE):
            entry = replace(entry, stale=True, stale_reason=report.detail)
        elif not mark_stale and shown is not None:
            entry = replace(entry, stale=shown.stale, stale_reason=shown.stale_reason)
        if entry != shown:
            self._repo.put_ticker_entry(entry, self._now)

    def _ingest_and_show(
        self,
        currency: str,
        requested: date,
        sources: Mapping[str, FeedResult],
        shown: TickerEntry | None,
        backfill: bool,
    ) -> CurrencyReport:
        report = self._ingest_currency(currency, requested, sources)
        self._refresh_ticker_entry(report, shown, mark_stale=not backfill)
        return report

    def run(self, requested: date, sources: Mapping[str, FeedResult], *, backfill: bool) -> IngestReport:
        """Store what the feeds say for `requested`; a backfill leaves the live ticker's stale flags alone.

        Currencies are independent, so they go concurrently: a run costs the latency of one currency's
        few round trips, not five times that.
        """
        if requested > self._now.date():
            raise ValueError(f"no rates are stored for {requested}: that day has not begun in Almaty")
        sources = {name: for_requested_day(result, requested) for name, result in sources.items()}
        if cross := sources.get(FALLBACK_SOURCE):
            usable = {name: result.sheet for name, result in sources.items() if result.sheet is not None}
            if problem := cross_outlier_problem(usable):
                sources = {**sources, FALLBACK_SOURCE: unusable(cross, problem)}
        shown = self._repo.ticker()
        with ThreadPoolExecutor(max_workers=len(STORED_CURRENCIES)) as pool:
            futures = {
                cur: pool.submit(self._ingest_and_show, cur, requested, sources, shown.get(cur), backfill)
                for cur in STORED_CURRENCIES
            }
            reports = {cur: future.result() for cur, future in futures.items()}
        if not backfill:
            self._record_outcomes(sources)
        return IngestReport(requested, sources, reports)

    def _record_outcomes(self, sources: Mapping[str, FeedResult]) -> None:
        """Each source's outcome of this run, as `/rates/sources` shows it; unchanged ones are not rewritten."""
        known = self._repo.source_statuses()
        for name, result in sources.items():
            before = known.get(name, SourceStatus(name))
            after = before.after_run(self._now, result.sheet.effective_date if result.sheet else None, result.error)
            if after != before:
                self._repo.put_source_status(after)
