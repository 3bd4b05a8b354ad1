"""What each function of the template really does on AWS, against what its role grants.

Recording: two botocore event handlers join `botocore.handlers.BUILTIN_HANDLERS`, which every botocore
session registers when it is created (the way moto installs its own stub, see tests/conftest.py), so
the shared clients of `steppewire.aws` and the client Powertools idempotency makes for itself are both
seen. A call is attributed to the function whose invocation is running: the in-process runner sets
`AWS_LAMBDA_FUNCTION_NAME` for the invocation (threads inside it see the same environment) and runs one
invocation at a time. Calls outside an invocation (test set-up, the SQS pollers) are not the function's.

Grants: the statements of the function's own `AWS::IAM::Role` in the translated template, resolved with
the local stack's names and ARNs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from steppewire_local import LocalStack
from steppewire_local.intrinsics import ACCOUNT_ID, Resolver, ResourceLookup, pseudo_parameters

# Grants whose calls never pass through botocore in the function's process: where each must be granted
# (the function's own log group, "*", or its event source queue), and why it is not seen.
NOT_SEEN_IN_PROCESS: Mapping[str, tuple[str, str]] = {
    "logs:CreateLogStream": ("log group", "the Lambda runtime writes the function's output"),
    "logs:PutLogEvents": ("log group", "the Lambda runtime writes the function's output"),
    "xray:PutTraceSegments": ("*", "Tracing: Active: the X-Ray daemon sends the segments"),
    "xray:PutTelemetryRecords": ("*", "Tracing: Active: the X-Ray daemon sends its telemetry"),
    "sqs:ReceiveMessage": ("event source queue", "Lambda's event source mapping polls (locally: sqs_source)"),
    "sqs:DeleteMessage": ("event source queue", "the event source mapping deletes what the function handled"),
    "sqs:GetQueueAttributes": ("event source queue", "the event source mapping reads the queue's settings"),
}


@dataclass(frozen=True)
class Use:
    """One IAM authorisation a call needs: an action on a resource, with the condition keys it carries."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.action} {self.resource}" + "".join(f" {key}={value}" for key, value in self.context)


@dataclass(frozen=True)
class Grant:
    action: str
    resource: str
    """An ARN pattern (IAM wildcards * and ?)."""
    condition: tuple[tuple[str, str, str], ...] = ()
    """(operator, key, pattern), all of which must hold."""

    def allows(self, use: Use) -> bool:
        if use.action != self.action or not fnmatchcase(use.resource, self.resource):
            return False
        context = dict(use.context)
        return all(_holds(operator, context.get(key), pattern) for operator, key, pattern in self.condition)

    def __str__(self) -> str:
        return f"{self.action} {self.resource}" + "".join(f" if {o} {k} {p}" for o, k, p in self.condition)


def _holds(operator: str, value: str | None, pattern: str) -> bool:
    if operator == "StringLike":
        return value is not None and fnmatchcase(value, pattern)
    if operator == "StringEquals":
        return value == pattern
    raise AssertionError(f"condition operator {operator} is not understood by the audit")


# ---------------------------------------------------------------------------- recording
_recorded: list[tuple[str, Use]] = []
_recording_lock = threading.Lock()
_open_recordings = 0


def _note_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if function is not None and _open_recordings:
        context["iam_audit"] = (function, dict(params))


def _record(parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    pending = context.pop("iam_audit", None)
    if pending is None:
        return
    function, params = pending
    service = model.service_model.signing_name
    error = parsed.get("Error", {}).get("Code")
    uses = needed(service, model.name, params, context["client_region"], error)
    with _recording_lock:
        _recorded.extend((function, use) for use in uses)


BUILTIN_HANDLERS.extend([("before-parameter-build", _note_params), ("after-call", _record)])


@contextmanager
def recording() -> Iterator[list[tuple[str, Use]]]:
    """Collects (function name, use) for the calls made inside the block (blocks may nest)."""
    global _open_recordings
    with _recording_lock:
        start = len(_recorded)
        _open_recordings += 1
    calls: list[tuple[str, Use]] = []
    try:
        yield calls
    finally:
        with _recording_lock:
            calls.extend(_recorded[start:])
            _open_recordings -= 1
            if not _open_recordings:
                _recorded.clear()


def needed(service: str, operation: str, params: Mapping[str, Any], region: str, error: str | None) -> list[Use]:
    """The authorisations IAM checks for one API call (the service authorization reference's mapping)."""
    if service == "dynamodb":
        return _dynamodb(operation, params, region)
    if service == "s3" and operation == "GetObject":
        obj = f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"
        uses = [Use("s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject", obj)]
        if error == "NoSuchKey":
            # S3 answers "no such key" only to whoever may list that key; to anyone else, AccessDenied.
            uses.append(Use("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}", (("s3:prefix", params["Key"]),)))
        return uses
    if service == "s3" and operation == "PutObject":
        return [Use("s3:PutObject", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):  # a batch needs sqs:SendMessage
        *_, account, name = params["QueueUrl"].rstrip("/").split("/")
        return [Use("sqs:SendMessage", f"arn:aws:sqs:{region}:{account}:{name}")]
    return [Use(f"{service}:{operation}", "(a call iam_audit.needed does not map yet)")]


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _dynamodb(operation: str, params: Mapping[str, Any], region: str) -> list[Use]:
    def table(name: str) -> str:
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"

    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Use(f"dynamodb:{operation}", table(name)) for name in params["RequestItems"]]
    if operation == "TransactWriteItems":  # authorised item by item, as the single-item actions
        return [
            Use(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(spec["TableName"]))
            for item in params["TransactItems"]
            for kind, spec in item.items()
        ]
    resource = table(params["TableName"])
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [Use(f"dynamodb:{operation}", resource)]


# ---------------------------------------------------------------------------- granting
def grants(stack: LocalStack, function_id: str) -> list[Grant]:
    """Every (action, resource) the function's role allows, resolved to the local stack's ARNs."""
    resources = stack.template.resources
    role_ref = resources[function_id]["Properties"].get("Role")
    assert isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref, (
        f"{function_id} has no explicit role: SAM would generate one with account-wide managed policies"
    )
    role_id = role_ref["Fn::GetAtt"][0]
    role = resources[role_id]["Properties"]
    assert not role.get("ManagedPolicyArns"), f"{role_id}: managed policies cannot be audited action by action"
    resolver = _resolver(stack, _WithLogGroups(stack))
    found = []
    for policy in role.get("Policies", []):
        for statement in resolver.resolve(policy["PolicyDocument"]["Statement"]):
            assert statement["Effect"] == "Allow", f"{role_id}: only Allow statements are audited"
            condition = tuple(
                (operator, key, pattern)
                for operator, tests in statement.get("Condition", {}).items()
                for key, patterns in tests.items()
                for pattern in _listed(patterns)
            )
            found += [
                Grant(action, resource, condition)
                for action in _listed(statement["Action"])
                for resource in _listed(statement["Resource"])
            ]
    return found


def expected_unseen(stack: LocalStack, function_id: str) -> set[tuple[str, str]]:
    """The NOT_SEEN_IN_PROCESS grants the function must have, on exactly their resources."""
    spec = stack.function(function_id)
    log_group = f"arn:aws:logs:{stack.region}:{ACCOUNT_ID}:log-group:/aws/lambda/{spec.function_name}:*"
    queues = {m.queue_arn for m in stack.sqs_mappings if m.function_id == function_id}
    where = {"log group": {log_group}, "*": {"*"}, "event source queue": queues}
    return {(action, resource) for action, (kind, _) in NOT_SEEN_IN_PROCESS.items() for resource in where[kind]}


def audit(stack: LocalStack, calls: Iterable[tuple[str, Use]], *, every_grant_used: bool) -> list[str]:
    """What is wrong: calls no grant allows, and (if asked) grants no call used; empty when exact."""
    by_name = {spec.function_name: function_id for function_id, spec in stack.functions.items()}
    used: dict[str, set[Use]] = {function_id: set() for function_id in stack.functions}
    for function, use in calls:
        if function in by_name:
            used[by_name[function]].add(use)
    problems = []
    for function_id, uses in used.items():
        granted = grants(stack, function_id)
        problems += [
            f"{function_id} calls {use} but no grant allows it"
            for use in sorted(uses, key=str)
            if not any(grant.allows(use) for grant in granted)
        ]
        if not every_grant_used:
            continue
        problems += [
            f"{function_id} is granted {grant} but never used it"
            for grant in granted
            if grant.action not in NOT_SEEN_IN_PROCESS and not any(grant.allows(use) for use in uses)
        ]
        unseen = {(grant.action, grant.resource) for grant in granted if grant.action in NOT_SEEN_IN_PROCESS}
        expected = expected_unseen(stack, function_id)
        problems += [f"{function_id} lacks {action} on {resource}" for action, resource in sorted(expected - unseen)]
        problems += [
            f"{function_id} has {action} on {resource}, not only on its {NOT_SEEN_IN_PROCESS[action][0]}"
            for action, resource in sorted(unseen - expected)
        ]
    return problems


def _resolver(stack: LocalStack, resources: ResourceLookup) -> Resolver:
    return Resolver(
        parameters=stack.template.parameters,
        pseudo=pseudo_parameters(stack.stack_name, stack.region),
        resources=resources,
        conditions=stack.template.conditions,
        mappings=stack.template.mappings,
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class _WithLogGroups:
    """The stack's resources, plus the ARNs of the log groups it does not create (roles refer to them)."""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    def ref(self, logical_id: str) -> Any:
        return self._stack.registry.ref(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if self._stack.resource(logical_id).type == "AWS::Logs::LogGroup" and attribute == "Arn":
            name = _resolver(self._stack, self._stack.registry).resolve(
                self._stack.template.resources[logical_id]["Properties"]["LogGroupName"]
            )
            return f"arn:aws:logs:{self._stack.region}:{ACCOUNT_ID}:log-group:{name}:*"
        return self._stack.registry.get_att(logical_id, attribute)
