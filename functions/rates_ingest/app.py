"""EventBridge Scheduler → fetch the official rates, store them, refresh the ticker.

The schedule's Input is `{}` (today's rates) or `{"date": "YYYY-MM-DD"}` for a backfill.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.observability import logger, metrics, tracer
from steppewire.rates.service import ingest_rates, requested_date


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = ingest_rates(requested_date(event), context.get_remaining_time_in_millis() / 1000)
    for source, result in report.sources.items():
        if result.error:
            logger.warning("rate source failed", extra={"source": source, "url": result.url, "error": result.error})
        metrics.add_metric(name="SourceFailed" if result.error else "SourceSucceeded", unit=MetricUnit.Count, value=1)
    for currency, outcome in report.currencies.items():
        metrics.add_metric(name=f"Rate{outcome.outcome.value.title()}", unit=MetricUnit.Count, value=1)
        logger.info(
            "currency outcome", extra={"currency": currency, "outcome": outcome.outcome, "detail": outcome.detail}
        )
    return report.as_dict()
