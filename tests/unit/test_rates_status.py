"""A source's recorded outcomes: last success, last failure, and when its latest rate is stale."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from steppewire.rates.ingest import RatesIngestion
from steppewire.rates.status import STALE_AFTER_DAYS, SourceStatus
from tests.fakes import InMemoryRatesRepository
from tests.unit.test_rates_ingest import D2, all_sources, failed

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY_RUN = datetime(2026, 11, 23, 11, 5, tzinfo=ALMATY)
FRIDAY = date(2026, 11, 20)


def test_a_success_keeps_the_last_failure_and_a_failure_keeps_the_last_success() -> None:
    ok = SourceStatus("NBK").after_run(MONDAY_RUN, FRIDAY, None)
    failed_later = ok.after_run(MONDAY_RUN + timedelta(hours=1), None, "HTTP 500")
    assert (failed_later.last_success_at, failed_later.last_sheet_date) == (MONDAY_RUN, FRIDAY)
    assert (failed_later.last_failure_at, failed_later.last_error) == (MONDAY_RUN + timedelta(hours=1), "HTTP 500")
    recovered = failed_later.after_run(MONDAY_RUN + timedelta(hours=2), date(2026, 11, 23), None)
    assert recovered.last_error == "HTTP 500" and recovered.last_sheet_date == date(2026, 11, 23)
    assert recovered.stale_reason(date(2026, 11, 23)) is None


def test_stale_when_never_fetched_when_the_latest_run_failed_or_the_sheet_is_old() -> None:
    today = date(2026, 11, 23)
    assert SourceStatus("CBT").stale_reason(today) == "no usable sheet recorded yet"
    ok = SourceStatus("CBT").after_run(MONDAY_RUN, FRIDAY, None)
    assert ok.stale_reason(today) is None  # Friday's sheet on Monday: a weekend, not stale
    assert ok.after_run(MONDAY_RUN + timedelta(hours=1), None, "HTTP 404").stale_reason(today) == (
        "the latest run failed: HTTP 404"
    )
    too_old = FRIDAY + timedelta(days=STALE_AFTER_DAYS + 1)
    assert ok.stale_reason(too_old) == f"its latest sheet is dated {FRIDAY}, 5 days before {too_old}"


def test_a_live_run_records_every_source_and_a_backfill_none() -> None:
    repo = InMemoryRatesRepository()
    now = datetime(2026, 11, 24, 15, 5, tzinfo=ALMATY)
    RatesIngestion(repo, now).run(D2, all_sources(D2, NBT=failed("NBT")), backfill=True)
    assert repo.statuses == {}
    RatesIngestion(repo, now).run(D2, all_sources(D2, NBT=failed("NBT")), backfill=False)
    assert set(repo.statuses) == {"NBK", "NBKR", "NBT", "CBU", "CBT", "CBR"}
    assert (repo.statuses["NBT"].last_error, repo.statuses["NBT"].last_success_at) == ("HTTP 500", None)
    assert (repo.statuses["NBK"].last_success_at, repo.statuses["NBK"].last_sheet_date) == (now, D2)
