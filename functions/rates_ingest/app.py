"""EventBridge Scheduler → fetch the official rates, store them, refresh the ticker.

The schedule's Input is `{}` (today's rates) or `{"date": "YYYY-MM-DD"}` for a backfill.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.observability import logger, metrics, tracer
from steppewire.rates.service import handle_ingest_event


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_ingest_event(event, context.get_remaining_time_in_millis() / 1000)
