"""SQS (an export uploaded under imports/, or the coordinator's own "carry on") → read the export and hand
its posts to the import workers, checkpointing as it goes; a broken export is refused whole."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.imports.import_functions import coordinate
from steppewire.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=coordinate, processor=processor, context=context))
