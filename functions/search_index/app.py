"""SQS (article changes from the publish function) → keep the search index in step; or, invoked with
`{"reindex": true}` (`make reindex`), rebuild it from the articles table.

The whole batch is applied together, so a posting list shared by its articles is rewritten once. The
partial-batch response is built here rather than by Powertools' BatchProcessor, which handles records
one by one: a malformed message fails alone; a failed apply fails the batch's valid messages for retry.
"""

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from steppewire.articles.store import DynamoArticleStore
from steppewire.aws import dynamodb_client
from steppewire.observability import logger, metrics, tracer
from steppewire.search.index_store import DynamoIndexTable
from steppewire.search.indexer import Indexer, rebuild
from steppewire.settings import IndexerSettings, load_settings


def slug_of(body: str) -> str:
    change = json.loads(body)
    slug = change["slug"]
    if not isinstance(slug, str) or not slug:
        raise ValueError("message has no slug")
    return slug


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(IndexerSettings)
    table = DynamoIndexTable(dynamodb_client(), settings.search_table_name)
    articles = DynamoArticleStore(dynamodb_client(), settings.articles_table_name)
    indexer = Indexer.for_store(table, articles)
    if event.get("reindex"):
        report = rebuild(indexer, table, articles)
        logger.info("index rebuilt", extra={"indexed": len(report.indexed), "removed": len(report.removed)})
        return {"indexed": len(report.indexed), "removed": len(report.removed), "terms": report.terms_rewritten}
    failed: list[str] = []
    slugs: dict[str, str] = {}
    for record in event["Records"]:
        try:
            slugs[record["messageId"]] = slug_of(record["body"])
        except (ValueError, KeyError, TypeError):
            logger.exception("malformed index message", extra={"message_id": record["messageId"]})
            failed.append(record["messageId"])
    if slugs:
        try:
            report = indexer.apply(set(slugs.values()))
            metrics.add_metric(name="ArticlesIndexed", unit=MetricUnit.Count, value=len(report.indexed))
            metrics.add_metric(name="ArticlesRemovedFromIndex", unit=MetricUnit.Count, value=len(report.removed))
            metrics.add_metric(name="ArticlesAlreadyIndexed", unit=MetricUnit.Count, value=len(report.unchanged))
            metrics.add_metric(name="WriteUnits", unit=MetricUnit.Count, value=table.meter.write_units)
        except Exception:
            logger.exception(
                "index update failed; the batch will be retried", extra={"slugs": sorted(set(slugs.values()))}
            )
            failed += list(slugs)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
