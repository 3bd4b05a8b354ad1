"""SQS (S3 upload/delete notifications) → publish, update or unpublish articles, with a report per file.

Partial batch responses: one bad message never holds back the others. Each S3 event is handled once
(Powertools idempotency keyed on bucket, key, sequencer or eTag, event name and time), so S3's
duplicate notifications and SQS redeliveries change nothing.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.articles.publishing_function import IDEMPOTENCY, record_handler
from steppewire.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
