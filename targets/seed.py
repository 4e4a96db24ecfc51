"""Seed a stand-in of the platform into an empty AWS emulator, from the stack config.

Every service gets three task-definition revisions (the middle one deregistered, as after an
earlier incident) and runs the newest; log groups, target groups with registered targets, the
Aurora cluster, its secrets and the database-endpoint parameter are created with the names the
stack config gives, and so are the severity topics, each with a drill subscriber queue that
stands in for the team's chat and receives the standard SNS envelope. What the real platform
has for the program's preconditions (``stack_config.preconditions``) is there too: Container
Insights on the ECS cluster, Aurora's backup retention and audit-log export, and a multi-Region
trail logging every management event to ``cloudtrailLogGroup``. The network the write fence
reads (``seed_network``): the services run in application subnets (awsvpc), the cluster in
database subnets behind their own network ACL. Secret values are random
and are returned only so drills can check that they never leak; nothing here prints them.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from runbook_actions import AwsClients
from stack_config import SEVERITIES, Platform, Service

from .seed_network import APP_CIDRS, SeededNetwork, seed_network

RELEASES = ("1.0.0", "1.1.0", "1.2.0")
DEREGISTERED_RELEASE = "1.1.0"
WRITER_INSTANCE_CLASS = "db.r6g.large"
# The stand-in trail, when the stack names none (platform.cloudtrailTrail).
TRAIL_NAME = "management-events"
CONTAINER_INSIGHTS = [{"name": "containerInsights", "value": "enabled"}]
# A drill reads its status posts within minutes. A LocalStack seeded once and drilled many
# times must not pile up old posts, so the subscriber queues forget after an hour.
SUBSCRIBER_RETENTION_SECONDS = 3600


@dataclass
class SeededService:
    name: str
    task_definitions: list[str]
    deployed: str
    target_group_arn: str | None


@dataclass
class SeedResult:
    cluster_arn: str
    services: dict[str, SeededService]
    db_cluster_endpoint: str
    secret_values: list[str] = field(repr=False, default_factory=list)
    topic_arns: dict[str, str] = field(default_factory=dict)  # severity -> topic ARN
    status_queue_urls: dict[str, str] = field(default_factory=dict)  # severity -> subscriber URL
    trail_name: str | None = None  # the trail delivering to cloudtrailLogGroup
    network: SeededNetwork | None = None


def status_subscriber_queue_name(platform: Platform, severity: str) -> str:
    """The queue subscribed to ``severity``'s topic from which drills read their status posts."""
    return f"{platform.notifications.topic_name(severity)}-drill-subscriber"


def seed_platform(clients: AwsClients, platform: Platform) -> SeedResult:
    secret_values = _seed_secrets(clients, platform)
    network = seed_network(
        clients.ec2,
        clients.rds,
        region=platform.region,
        name=platform.aurora.cluster_id,
        app_cidrs=platform.network.application_subnet_cidrs if platform.network else APP_CIDRS,
    )
    endpoint = _seed_aurora(clients, platform, secret_values[0], network.db_subnet_group)
    cluster_arn = clients.ecs.create_cluster(clusterName=platform.cluster, settings=CONTAINER_INSIGHTS)[
        "cluster"
    ]["clusterArn"]
    _seed_log_group(
        clients.logs,
        platform.aurora.audit_log_group,
        "audit",
        ["QUERY admin SELECT 1", "CONNECT app@10.0.1.12"],
    )
    # One call at a time: moto's backends are not thread-safe (concurrent SNS subscribes raced
    # in a test run), and seeding is emulator-only work of well under a second.
    services = [_seed_service(clients, platform, s, network) for s in platform.services]
    topics = {severity: _seed_topic(clients, platform, severity) for severity in SEVERITIES}
    trail = _seed_trail(clients, platform) if platform.cloudtrail_log_group else None
    return SeedResult(
        cluster_arn=cluster_arn,
        services={s.name: s for s in services},
        db_cluster_endpoint=endpoint,
        secret_values=secret_values,
        topic_arns={sev: arn for sev, (arn, _) in topics.items()},
        status_queue_urls={sev: url for sev, (_, url) in topics.items()},
        trail_name=trail,
        network=network,
    )


def task_definition_input(platform: Platform, service: Service, release: str) -> dict[str, Any]:
    """The register_task_definition arguments of one release of a service."""
    return {
        "family": service.name,
        "containerDefinitions": [
            {
                "name": service.name,
                "image": f"zelly/{service.name}:{release}",
                "memory": 512,
                "essential": True,
                "portMappings": [{"containerPort": service.container_port}],
                "environment": [
                    {"name": "RELEASE", "value": release},
                    {"name": "DATABASE_ENDPOINT_PARAMETER", "value": platform.aurora.endpoint_parameter},
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": service.log_group,
                        "awslogs-region": platform.region,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    }


def _seed_service(
    clients: AwsClients, platform: Platform, service: Service, network: SeededNetwork
) -> SeededService:
    ecs = clients.ecs
    arns = [
        ecs.register_task_definition(**task_definition_input(platform, service, release))["taskDefinition"][
            "taskDefinitionArn"
        ]
        for release in RELEASES
    ]
    ecs.deregister_task_definition(taskDefinition=arns[RELEASES.index(DEREGISTERED_RELEASE)])
    _seed_log_group(
        clients.logs,
        service.log_group,
        "ecs/bootstrap",
        [f"INFO {service.name} {RELEASES[-1]} listening on :{service.container_port}"],
    )
    target_group_arn = _seed_target_group(clients.elbv2, service, network.vpc_id)
    load_balancers = (
        [
            {
                "targetGroupArn": target_group_arn,
                "containerName": service.name,
                "containerPort": service.container_port,
            }
        ]
        if target_group_arn
        else []
    )
    ecs.create_service(
        cluster=platform.cluster,
        serviceName=service.name,
        taskDefinition=arns[-1],
        desiredCount=service.desired_count,
        loadBalancers=load_balancers,
        networkConfiguration=network.awsvpc(),
    )
    return SeededService(service.name, arns, arns[-1], target_group_arn)


def _seed_target_group(elbv2: Any, service: Service, vpc_id: str) -> str | None:
    if service.target_group is None:
        return None
    arn = elbv2.create_target_group(
        Name=service.target_group,
        Protocol="HTTP",
        Port=service.container_port,
        VpcId=vpc_id,
        TargetType="ip",
        HealthCheckPath="/health",
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(
        TargetGroupArn=arn, Targets=[{"Id": f"10.0.{i}.10", "Port": service.container_port} for i in (1, 2)]
    )
    return str(arn)


def _seed_topic(clients: AwsClients, platform: Platform, severity: str) -> tuple[str, str]:
    """The severity's topic and its drill subscriber queue; returns (topic ARN, queue URL)."""
    topic_arn = clients.sns.create_topic(Name=platform.notifications.topic_name(severity))["TopicArn"]
    _, partition, _, region, account, _ = topic_arn.split(":")
    queue_name = status_subscriber_queue_name(platform, severity)
    queue_arn = f"arn:{partition}:sqs:{region}:{account}:{queue_name}"
    # Like the stack's P3 issue queue: only this topic may deliver (checked where IAM is enforced).
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    queue_url = clients.sqs.create_queue(
        QueueName=queue_name,
        Attributes={
            "MessageRetentionPeriod": str(SUBSCRIBER_RETENTION_SECONDS),
            "Policy": json.dumps(policy),
        },
    )["QueueUrl"]
    # Raw delivery off: the queue gets the SNS envelope (subject, message id, attributes).
    clients.sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "false"}
    )
    return topic_arn, queue_url


def _seed_trail(clients: AwsClients, platform: Platform) -> str:
    """A multi-Region trail logging read and write management events to cloudtrailLogGroup,
    through a delivery role, as CloudTrail's CloudWatch Logs integration is set up."""
    name = platform.cloudtrail_trail or TRAIL_NAME
    group = str(platform.cloudtrail_log_group)
    if clients.cloudtrail.describe_trails(trailNameList=[name])["trailList"]:
        return name  # one trail serves the account: another stack's seed already made it
    clients.logs.create_log_group(logGroupName=group)
    group_arn = next(
        g["arn"]
        for g in clients.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if g["logGroupName"] == group
    )
    # S3 bucket names: 3-63 lower-case letters, digits, hyphens and periods.
    bucket = f"{name}-{platform.region}".lower().replace("_", "-")[:63].rstrip("-.")
    bucket_args: dict[str, Any] = {"Bucket": bucket}
    if platform.region != "us-east-1":  # S3 refuses us-east-1 as a LocationConstraint
        bucket_args["CreateBucketConfiguration"] = {"LocationConstraint": platform.region}
    clients.s3.create_bucket(**bucket_args)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = clients.iam.create_role(
        RoleName=f"{name[:56]}-to-logs",
        AssumeRolePolicyDocument=json.dumps(trust),  # IAM: at most 64
    )["Role"]["Arn"]
    clients.cloudtrail.create_trail(
        Name=name,
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=role_arn,
    )
    clients.cloudtrail.put_event_selectors(
        TrailName=name, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    clients.cloudtrail.start_logging(Name=name)
    return name


def _seed_log_group(logs: Any, name: str, stream: str, lines: list[str]) -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=name,
        logStreamName=stream,
        logEvents=[{"timestamp": now - 60_000 + i, "message": line} for i, line in enumerate(lines)],
    )


def _seed_secrets(clients: AwsClients, platform: Platform) -> list[str]:
    """Create every secret of the stack; the Aurora master password comes first in the result."""
    password = secrets.token_urlsafe(24)
    values = [password]
    for secret_id in platform.secrets:
        if secret_id == platform.aurora.master_secret_id:
            body = {
                "username": platform.aurora.master_username,
                "password": password,
                "engine": "mysql",
                "dbClusterIdentifier": platform.aurora.cluster_id,
            }
        else:
            body = {
                "RAZORPAY_KEY_ID": "rzp_live_" + secrets.token_hex(7),
                "RAZORPAY_KEY_SECRET": secrets.token_urlsafe(18),
                "FIREBASE_SERVICE_ACCOUNT": json.dumps({"private_key": secrets.token_urlsafe(32)}),
            }
            values += [
                body["RAZORPAY_KEY_ID"],
                body["RAZORPAY_KEY_SECRET"],
                json.loads(body["FIREBASE_SERVICE_ACCOUNT"])["private_key"],
            ]
        clients.secretsmanager.create_secret(Name=secret_id, SecretString=json.dumps(body))
    return values


def _seed_aurora(clients: AwsClients, platform: Platform, master_password: str, subnet_group: str) -> str:
    aurora = platform.aurora
    cluster = clients.rds.create_db_cluster(
        DBClusterIdentifier=aurora.cluster_id,
        DBSubnetGroupName=subnet_group,
        Engine=aurora.engine,
        MasterUsername=aurora.master_username,
        MasterUserPassword=master_password,
        BackupRetentionPeriod=aurora.backup_retention_days,
        DeletionProtection=True,
        EnableCloudwatchLogsExports=["audit"],
    )["DBCluster"]
    clients.rds.create_db_instance(
        DBInstanceIdentifier=f"{aurora.cluster_id}-writer",
        DBClusterIdentifier=aurora.cluster_id,
        DBInstanceClass=WRITER_INSTANCE_CLASS,
        Engine=aurora.engine,
    )
    clients.ssm.put_parameter(
        Name=aurora.endpoint_parameter,
        Value=cluster["Endpoint"],
        Type="String",
        Description="Aurora endpoint the services connect to",
    )
    return str(cluster["Endpoint"])
