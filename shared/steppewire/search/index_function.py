"""What the indexer function does with an event: SQS article changes applied to the index, or, for
`{"reindex": true}` (`make reindex`), the whole index rebuilt from the articles table.

The whole batch is applied together, so a posting list shared by its articles is rewritten once. The
partial-batch response is built here rather than by Powertools' BatchProcessor, which handles records
one by one: a malformed message fails alone; a failed apply fails the batch's valid messages for retry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from steppewire.observability import logger, metrics
from steppewire.search.indexer import rebuild
from steppewire.wiring import index_writer


def slug_of(body: str) -> str:
    change = json.loads(body)
    slug = change["slug"]
    if not isinstance(slug, str) or not slug:
        raise ValueError("message has no slug")
    return slug


def handle_index_event(event: Mapping[str, Any]) -> dict[str, Any]:
    indexer, table, articles = index_writer()
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
