"""SQS (article changes from the publish function) → keep the search index in step; or, invoked with
`{"reindex": true}` (`make reindex`), rebuild it from the articles table."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.observability import logger, metrics, tracer
from steppewire.search.index_function import handle_index_event


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_index_event(event)
