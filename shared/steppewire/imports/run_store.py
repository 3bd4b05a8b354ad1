"""Import runs in the articles table: `IMPORT#<run id>` holds the run (`RUN`), one marker per counted item
(`ITEM#<position>`) and the report's notes (`NOTE#<position>`), so that the final report reads the notes
alone. Every conversion between a run and its item is here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from steppewire.dynamo_items import from_item, to_item
from steppewire.imports.runs import Counted, ImportRun, ItemNote, RunStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_RUN_SK = "RUN"
_NOTE = "NOTE#"
_ITEM = "ITEM#"


def _pk(run_id: str) -> str:
    return f"IMPORT#{run_id}"


def _position(index: int) -> str:
    return f"{index:010d}"  # fixed width: notes read back in export order


def _run_from_item(item: Mapping[str, Any]) -> ImportRun:
    return ImportRun(
        run_id=item["pk"].removeprefix("IMPORT#"),
        bucket=item["bucket"],
        key=item["key"],
        version_id=item.get("version_id"),
        started_at=item["started_at"],
        status=RunStatus(item["status"]),
        total=int(item["total"]),
        by_type_and_status={name: int(count) for name, count in item["by_type_and_status"].items()},
        next_item=int(item["next_item"]),
        counts={name: int(item["counts"].get(name, 0)) for name in Counted},
        finished_at=item.get("finished_at"),
        error=item.get("error"),
    )


def _run_to_item(run: ImportRun) -> dict[str, Any]:
    return {
        "pk": _pk(run.run_id),
        "sk": _RUN_SK,
        "bucket": run.bucket,
        "key": run.key,
        "version_id": run.version_id,
        "started_at": run.started_at,
        "status": run.status.value,
        "total": run.total,
        "by_type_and_status": run.by_type_and_status,
        "next_item": run.next_item,
        "counts": {name.value: run.counts.get(name, 0) for name in Counted},
        "finished_at": run.finished_at,
        "error": run.error,
    }


def _note_to_item(run_id: str, note: ItemNote) -> dict[str, Any]:
    return {
        "pk": _pk(run_id),
        "sk": _NOTE + _position(note.item),
        "post_id": note.post_id,
        "title": note.title,
        "counted": note.counted.value,
        "reasons": list(note.reasons),
    }


def _note_from_item(item: Mapping[str, Any]) -> ItemNote:
    post_id = item.get("post_id")
    return ItemNote(
        item=int(item["sk"].removeprefix(_NOTE)),
        post_id=int(post_id) if post_id is not None else None,
        title=item["title"],
        counted=Counted(item["counted"]),
        reasons=tuple(item["reasons"]),
    )


class DynamoImportRuns:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, run_id: str) -> dict[str, Any]:
        return to_item({"pk": _pk(run_id), "sk": _RUN_SK})

    def _conditional_update(self, run_id: str, **request: Any) -> ImportRun | None:
        try:
            answer = self._client.update_item(
                TableName=self._table, Key=self._key(run_id), ReturnValues="ALL_NEW", **request
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return _run_from_item(from_item(answer["Attributes"]))

    def run(self, run_id: str) -> ImportRun | None:
        found = self._client.get_item(TableName=self._table, Key=self._key(run_id), ConsistentRead=True)
        return _run_from_item(from_item(found["Item"])) if "Item" in found else None

    def begin(self, run: ImportRun) -> ImportRun:
        try:
            self._client.put_item(
                TableName=self._table, Item=to_item(_run_to_item(run)), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            existing = self.run(run.run_id)
            if existing is not None:
                return existing
            raise
        return run

    def counted(self, run_id: str, total: int, by_type_and_status: dict[str, int]) -> ImportRun:
        updated = self._conditional_update(
            run_id,
            UpdateExpression="SET #total = :total, by_type_and_status = :types",
            ExpressionAttributeNames={"#total": "total"},
            ExpressionAttributeValues=to_item({":total": total, ":types": by_type_and_status}),
        )
        assert updated is not None  # unconditional
        return updated

    def advance(self, run_id: str, start: int, end: int, skipped: int) -> ImportRun | None:
        return self._conditional_update(
            run_id,
            UpdateExpression="SET next_item = :end ADD counts.skipped :skipped",
            ConditionExpression="next_item = :start",
            ExpressionAttributeValues=to_item({":start": start, ":end": end, ":skipped": skipped}),
        )

    def record(self, run_id: str, counted: Counted, note: ItemNote) -> ImportRun | None:
        marker = {"pk": _pk(run_id), "sk": _ITEM + _position(note.item)}
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(marker),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(run_id),
                    "UpdateExpression": "ADD counts.#counted :one",
                    "ExpressionAttributeNames": {"#counted": counted.value},
                    "ExpressionAttributeValues": to_item({":one": 1}),
                }
            },
        ]
        if note.reasons:
            actions.append({"Put": {"TableName": self._table, "Item": to_item(_note_to_item(run_id, note))}})
        try:
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return None  # counted already: a duplicate delivery
            raise
        return self.run(run_id)

    def notes(self, run_id: str) -> list[ItemNote]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :note)",
            "ExpressionAttributeValues": to_item({":pk": _pk(run_id), ":note": _NOTE}),
        }
        notes: list[ItemNote] = []
        while True:
            page = self._client.query(**request)
            notes += [_note_from_item(from_item(item)) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return notes
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_report(self, run_id: str, now: str) -> bool:
        claimed = self._conditional_update(
            run_id,
            UpdateExpression="SET report_at = :now",
            ConditionExpression="attribute_not_exists(report_at) OR report_at < :now",
            ExpressionAttributeValues=to_item({":now": now}),
        )
        return claimed is not None

    def end(self, run_id: str, status: RunStatus, now: str, error: str | None = None) -> None:
        self._conditional_update(
            run_id,
            UpdateExpression="SET #status = :status, finished_at = :now, #error = :error",
            ConditionExpression="#status = :importing",
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues=to_item(
                {":status": status.value, ":now": now, ":error": error, ":importing": RunStatus.IMPORTING.value}
            ),
        )
