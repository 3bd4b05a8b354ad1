"""What the publish function does with one SQS record: each S3 event in it (an article under incoming/, the
synonyms under config/) applied once, its outcome logged and counted. The idempotency layer is built at the
first record, from the shared client (not at import, when Powertools would make a boto3 client of its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

from steppewire.articles.publishing import object_events
from steppewire.observability import logger, metrics
from steppewire.search.synonym_store import CONFIG_PREFIX
from steppewire.wiring import idempotency_store, publisher, synonyms_publisher

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath=(
        "powertools_json(body).Records[*].[s3.bucket.name, s3.object.key, "
        "s3.object.sequencer || s3.object.eTag, eventName, eventTime]"
    ),
    raise_on_no_idempotency_key=False,  # S3's test message has no records: nothing to deduplicate
    expires_after_seconds=24 * 3600,
)


def handle_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    reports = []
    for event in object_events(message["body"]):
        if event.key.startswith(CONFIG_PREFIX):
            synonyms = synonyms_publisher().handle(event)
            if synonyms is not None:
                metrics.add_metric(name=f"Synonyms{synonyms.status.value.title()}", unit=MetricUnit.Count, value=1)
                logger.info("synonyms outcome", extra={"key": event.key, **synonyms.as_dict()})
                reports.append(synonyms.as_dict())
            continue
        report = publisher().handle(event)
        if report is not None:
            metrics.add_metric(name=f"Article{report.status.value.title()}", unit=MetricUnit.Count, value=1)
            logger.info("article outcome", extra={"key": event.key, **report.as_dict()})
            reports.append(report.as_dict())
    return reports


def _handle_once() -> Callable[..., list[dict[str, Any]]]:
    """Decorated per record (cheap): the persistence layer is the container's, built at first use."""
    decorate = idempotent_function(
        data_keyword_argument="message", config=IDEMPOTENCY, persistence_store=idempotency_store()
    )
    return decorate(handle_message)  # type: ignore[no-any-return]


def record_handler(record: SQSRecord) -> Any:
    return _handle_once()(message=record.raw_event)
