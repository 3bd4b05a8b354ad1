"""Create the template's data resources in (moto) AWS and give every other resource a local identity.

Only DynamoDB tables, SQS queues, S3 buckets and SNS topics are created, by direct API calls with
properties already resolved by the intrinsics resolver: moto's CloudFormation drops bucket notifications
and chokes on the API resources, and a direct call fails loudly on anything it does not understand.
Functions, APIs, roles, schedules, … are emulated, so they only need a deterministic name (and an ARN).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from botocore.exceptions import ClientError

from .intrinsics import ACCOUNT_ID, IntrinsicError
from .template import TemplateError, cfn_str

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import NotificationConfigurationTypeDef
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

TABLE: Final = "AWS::DynamoDB::Table"
QUEUE: Final = "AWS::SQS::Queue"
BUCKET: Final = "AWS::S3::Bucket"
TOPIC: Final = "AWS::SNS::Topic"
FUNCTION: Final = "AWS::Lambda::Function"
REST_API: Final = "AWS::ApiGateway::RestApi"
DATA_TYPES: Final = frozenset({TABLE, QUEUE, BUCKET, TOPIC})


@dataclass(frozen=True)
class DeployedResource:
    logical_id: str
    type: str
    physical_id: str
    """What `Ref` returns: table name, queue URL, bucket name, topic ARN, function name, API id, …"""
    attributes: dict[str, str]
    """What `Fn::GetAtt` can return."""
    created: bool
    """True if it exists in (moto) AWS; False for emulated resources (identity only)."""


@dataclass
class DeployContext:
    stack_name: str
    region: str
    warnings: list[str] = field(default_factory=list)

    # One client per service for the whole deployment: making one costs more than the call it makes.
    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return boto3.client("dynamodb", region_name=self.region)

    @cached_property
    def sqs(self) -> SQSClient:
        return boto3.client("sqs", region_name=self.region)

    @cached_property
    def s3(self) -> S3Client:
        return boto3.client("s3", region_name=self.region)

    @cached_property
    def sns(self) -> Any:  # no boto3-stubs for SNS in this project
        return boto3.client("sns", region_name=self.region)


class ResourceRegistry:
    """Logical id → deployed resource; the `ResourceLookup` the intrinsics resolver uses."""

    def __init__(self, declared: set[str]) -> None:
        self._declared = declared
        self._excluded: set[str] = set()
        self._resources: dict[str, DeployedResource] = {}

    def exclude(self, logical_ids: set[str]) -> None:
        """Resources whose Condition is false: referring to them is an error."""
        self._excluded |= logical_ids

    def add(self, resource: DeployedResource) -> None:
        self._resources[resource.logical_id] = resource

    def get(self, logical_id: str) -> DeployedResource:
        if logical_id in self._resources:
            return self._resources[logical_id]
        if logical_id in self._excluded:
            raise IntrinsicError(f"resource {logical_id} is not deployed: its Condition is false")
        if logical_id in self._declared:
            raise IntrinsicError(f"resource {logical_id} is referenced before it is deployed")
        raise IntrinsicError(f"unknown resource or parameter {logical_id!r}")

    def ref(self, logical_id: str) -> str:
        return self.get(logical_id).physical_id

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.get(logical_id)
        if attribute not in resource.attributes:
            raise IntrinsicError(
                f"Fn::GetAtt {logical_id}.{attribute} is not available locally ({resource.type}; "
                f"known: {', '.join(sorted(resource.attributes)) or 'none'})"
            )
        return resource.attributes[attribute]

    def by_arn(self, arn: str) -> DeployedResource | None:
        return next((r for r in self._resources.values() if r.attributes.get("Arn") == arn), None)

    def __iter__(self) -> Iterator[DeployedResource]:
        return iter(self._resources.values())


def physical_name(stack_name: str, logical_id: str, explicit: Any, *, lower: bool = False) -> str:
    """The explicit name property if given, else `<stack>-<LogicalId>` (deterministic, unlike CFN)."""
    name = cfn_str(explicit) if explicit else f"{stack_name}-{logical_id}"
    return name.lower() if lower else name


def create_resource(logical_id: str, kind: str, props: dict[str, Any], ctx: DeployContext) -> DeployedResource:
    creator = {TABLE: _create_table, QUEUE: _create_queue, BUCKET: _create_bucket, TOPIC: _create_topic}[kind]
    return creator(logical_id, props, ctx)


def emulated_resource(logical_id: str, kind: str, name: Any, ctx: DeployContext) -> DeployedResource:
    """Identity of a resource that is not created: its Ref value and the ARNs the wiring needs."""
    prefix = f"arn:aws:{{}}:{ctx.region}:{ACCOUNT_ID}"
    if kind == FUNCTION:
        function_name = physical_name(ctx.stack_name, logical_id, name)
        arn = f"{prefix.format('lambda')}:function:{function_name}"
        return DeployedResource(logical_id, kind, function_name, {"Arn": arn}, created=False)
    if kind == REST_API:
        api_id = hashlib.sha256(f"{ctx.stack_name}/{logical_id}".encode()).hexdigest()[:10]
        return DeployedResource(logical_id, kind, api_id, {"RootResourceId": api_id[:6]}, created=False)
    return DeployedResource(logical_id, kind, physical_name(ctx.stack_name, logical_id, name), {}, False)


# ---------------------------------------------------------------------------- DynamoDB
def _create_table(logical_id: str, props: dict[str, Any], ctx: DeployContext) -> DeployedResource:
    ddb = ctx.dynamodb
    name = physical_name(ctx.stack_name, logical_id, props.get("TableName"))
    billing = props.get("BillingMode", "PROVISIONED")  # CloudFormation's default, unlike SAM's SimpleTable
    provisioned = billing == "PROVISIONED"
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if provisioned:
        args["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = [
            _index(gsi, _throughput(gsi.get("ProvisionedThroughput")) if provisioned else None)
            for gsi in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        args["LocalSecondaryIndexes"] = [_index(lsi, None) for lsi in props["LocalSecondaryIndexes"]]
    if props.get("StreamSpecification"):
        view = props["StreamSpecification"]["StreamViewType"]
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    sse = props.get("SSESpecification")
    if sse:
        args["SSESpecification"] = {"Enabled": _bool(sse.get("SSEEnabled", False))} | {
            key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
        }
    for key in ("TableClass", "Tags"):
        if props.get(key):
            args[key] = props[key]
    if "DeletionProtectionEnabled" in props:
        args["DeletionProtectionEnabled"] = _bool(props["DeletionProtectionEnabled"])
    ddb.create_table(**args)

    ttl = props.get("TimeToLiveSpecification")
    if ttl and _bool(ttl.get("Enabled", False)):
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and _bool(pitr.get("PointInTimeRecoveryEnabled", False)):
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    table = ddb.describe_table(TableName=name)["Table"]
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return DeployedResource(logical_id, TABLE, name, attributes, created=True)


def _throughput(spec: Any) -> dict[str, int]:
    if not spec:
        raise TemplateError("a PROVISIONED table or index needs ProvisionedThroughput")
    return {key: int(spec[key]) for key in ("ReadCapacityUnits", "WriteCapacityUnits")}


def _index(spec: dict[str, Any], throughput: dict[str, int] | None) -> dict[str, Any]:
    index: dict[str, Any] = {key: spec[key] for key in ("IndexName", "KeySchema", "Projection") if key in spec}
    if throughput:
        index["ProvisionedThroughput"] = throughput
    return index


# ---------------------------------------------------------------------------- SQS
_QUEUE_ATTRIBUTES: Final = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def _create_queue(logical_id: str, props: dict[str, Any], ctx: DeployContext) -> DeployedResource:
    sqs = ctx.sqs
    fifo = _bool(props.get("FifoQueue", False))
    name = physical_name(ctx.stack_name, logical_id, props.get("QueueName"))
    if fifo and not props.get("QueueName"):
        name += ".fifo"
    # The API wants every attribute as a string; the policies as JSON documents.
    attributes: dict[str, str] = {
        key: json.dumps(props[key]) if isinstance(props[key], dict) else cfn_str(props[key])
        for key in _QUEUE_ATTRIBUTES
        if key in props
    }
    if fifo:
        attributes["FifoQueue"] = "true"
    tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
    url = sqs.create_queue(QueueName=name, Attributes=cast("dict[QueueAttributeNameType, str]", attributes), tags=tags)[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attrs = {"Arn": arn, "QueueName": name, "QueueUrl": url}
    return DeployedResource(logical_id, QUEUE, url, attrs, created=True)


# ---------------------------------------------------------------------------- S3
def _create_bucket(logical_id: str, props: dict[str, Any], ctx: DeployContext) -> DeployedResource:
    s3 = ctx.s3
    name = physical_name(ctx.stack_name, logical_id, props.get("BucketName"), lower=True)
    if ctx.region == "us-east-1":  # the one region that rejects an explicit LocationConstraint
        s3.create_bucket(Bucket=name)
    else:
        location = cast("BucketLocationConstraintType", ctx.region)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": location})
    versioning = props.get("VersioningConfiguration")
    if versioning and props.get("NotificationConfiguration"):
        # A delete in a versioned bucket only adds a delete marker, for which moto sends no notification
        # (S3 sends ObjectRemoved:DeleteMarkerCreated): deletes would go unseen, so it stays unversioned.
        ctx.warnings.append(f"{logical_id}: versioning is not applied (moto sends no event for a versioned delete)")
    elif versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    if props.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": props["Tags"]})
    notifications = props.get("NotificationConfiguration")
    if notifications:
        _apply_notifications(logical_id, name, notifications, ctx)
    attributes = {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com",
    }
    return DeployedResource(logical_id, BUCKET, name, attributes, created=True)


def _apply_notifications(logical_id: str, bucket: str, config: dict[str, Any], ctx: DeployContext) -> None:
    """CloudFormation's NotificationConfiguration → the S3 API shape (moto's CFN would ignore it)."""

    def api_shape(item: dict[str, Any], target_key: str, arn_key: str, index: int) -> dict[str, Any]:
        shaped: dict[str, Any] = {"Id": f"{logical_id}-{index}", arn_key: item[target_key], "Events": [item["Event"]]}
        rules = (item.get("Filter") or {}).get("S3Key", {}).get("Rules")
        if rules:
            shaped["Filter"] = {"Key": {"FilterRules": rules}}
        return shaped

    queues = config.get("QueueConfigurations", [])
    topics = config.get("TopicConfigurations", [])
    api: dict[str, Any] = {}
    if queues:
        api["QueueConfigurations"] = [api_shape(q, "Queue", "QueueArn", i) for i, q in enumerate(queues)]
    if topics:
        api["TopicConfigurations"] = [api_shape(t, "Topic", "TopicArn", i + len(queues)) for i, t in enumerate(topics)]
    if config.get("LambdaConfigurations"):
        ctx.warnings.append(f"{logical_id}: S3 -> Lambda notifications are not emulated (use S3 -> SQS -> Lambda)")
    if config.get("EventBridgeConfiguration"):
        ctx.warnings.append(f"{logical_id}: S3 -> EventBridge notifications are not emulated")
    if not api:
        return
    ctx.s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=cast("NotificationConfigurationTypeDef", api)
    )
    for queue_arn in {q["Queue"] for q in queues}:
        _purge_test_events(queue_arn, ctx)


def _purge_test_events(queue_arn: str, ctx: DeployContext) -> None:
    """Real S3 and moto post an `s3:TestEvent` when the configuration is put; no consumer wants it."""
    sqs = ctx.sqs
    *_, owner, queue_name = queue_arn.split(":")
    try:
        url = sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
    except ClientError:  # a queue outside this stack: not ours to clean
        return
    # The queue is brand new, so the test events are the only messages in it.
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    for message in received.get("Messages", []):
        if '"s3:TestEvent"' in message["Body"]:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


# ---------------------------------------------------------------------------- SNS
_TOPIC_ATTRIBUTES: Final = (
    "ContentBasedDeduplication",
    "DisplayName",
    "FifoTopic",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
)


def _create_topic(logical_id: str, props: dict[str, Any], ctx: DeployContext) -> DeployedResource:
    sns = ctx.sns
    fifo = _bool(props.get("FifoTopic", False))
    name = physical_name(ctx.stack_name, logical_id, props.get("TopicName"))
    if fifo and not props.get("TopicName"):
        name += ".fifo"
    attributes = {key: cfn_str(props[key]) for key in _TOPIC_ATTRIBUTES if key in props}
    arn: str = sns.create_topic(Name=name, Attributes=attributes, Tags=props.get("Tags", []))["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    return DeployedResource(logical_id, TOPIC, arn, {"TopicArn": arn, "TopicName": name}, created=True)


def _bool(value: Any) -> bool:
    return cfn_str(value).lower() == "true"
