"""What the two import functions do with one SQS record.

The coordinator's queue carries S3's notification of an uploaded export, or the coordinator's own
`{"carry_on": <run id>}` when an import outlasts one invocation. The worker's queue carries one post
each. A record that raises is retried by SQS and, in the end, dead-lettered; the others go on.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from steppewire.articles.publishing import object_events
from steppewire.observability import logger, metrics
from steppewire.wiring import import_coordinator, item_importer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext


def coordinate(record: SQSRecord, lambda_context: LambdaContext) -> None:
    def remaining_seconds() -> float:
        return lambda_context.get_remaining_time_in_millis() / 1000

    message = json.loads(record.body)
    if isinstance(message, dict) and "carry_on" in message:
        logger.info("import carries on", extra={"run": message["carry_on"]})
        import_coordinator().resume(str(message["carry_on"]), remaining_seconds)
        return
    for event in object_events(record.body):
        logger.info("import starts", extra={"key": event.key})
        import_coordinator().start(event, remaining_seconds)


def import_post(record: SQSRecord) -> Any:
    counted = item_importer().handle(record.body)
    if counted is not None:
        metrics.add_metric(name=f"Import{counted.value.title()}", unit=MetricUnit.Count, value=1)
    return counted
