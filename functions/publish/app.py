"""SQS (S3 upload/delete notifications) → publish, update or unpublish articles, with a report per file.

Partial batch responses: one bad message never holds back the others. Each S3 event is handled once
(Powertools idempotency keyed on bucket, key, sequencer or eTag, event name and time), so S3's
duplicate notifications and SQS redeliveries change nothing.
"""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.articles.aws_adapters import S3ObjectStorage, SqsIndexFeed
from steppewire.articles.publishing import Publisher, object_events
from steppewire.articles.store import DynamoArticleStore
from steppewire.aws import dynamodb_client, s3_client, sqs_client
from steppewire.observability import logger, metrics, tracer
from steppewire.settings import PublishSettings, load_settings

settings = load_settings(PublishSettings)
processor = BatchProcessor(event_type=EventType.SQS)
idempotency = IdempotencyConfig(
    event_key_jmespath=(
        "powertools_json(body).Records[*].[s3.bucket.name, s3.object.key, "
        "s3.object.sequencer || s3.object.eTag, eventName, eventTime]"
    ),
    raise_on_no_idempotency_key=False,  # S3's test message has no records: nothing to deduplicate
    expires_after_seconds=24 * 3600,
)
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name)


def publisher() -> Publisher:
    return Publisher(
        store=DynamoArticleStore(dynamodb_client(), settings.articles_table_name),
        storage=S3ObjectStorage(s3_client()),
        index=SqsIndexFeed(sqs_client(), settings.index_queue_url),
        clock=lambda: datetime.now(UTC),
    )


@idempotent_function(data_keyword_argument="message", config=idempotency, persistence_store=persistence)
def handle_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    reports = []
    for event in object_events(message["body"]):
        report = publisher().handle(event)
        if report is not None:
            metrics.add_metric(name=f"Article{report.status.value.title()}", unit=MetricUnit.Count, value=1)
            logger.info("article outcome", extra={"key": event.key, **report.as_dict()})
            reports.append(report.as_dict())
    return reports


def record_handler(record: SQSRecord) -> Any:
    return handle_message(message=record.raw_event)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
