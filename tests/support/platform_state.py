"""What a target holds, read from its own APIs: compared before and after a drill to prove the
drill left nothing behind, whichever step failed."""

from __future__ import annotations

from typing import Any

from runbook_actions.clients import AwsClients
from stack_config import Platform

# Kept on purpose, and why: the status record is the incident's audit trail (one per drill
# incident); a rotated password stays rotated (undoing it would restore the leaked one).
KEPT_PARAMETER_SUFFIX = "/status-post"


def platform_state(clients: AwsClients, platform: Platform) -> dict[str, Any]:
    return {
        "services": _services(clients, platform),
        "task_definitions": _active_task_definitions(clients),
        "db_clusters": _db_clusters(clients),
        "db_instances": _db_instances(clients),
        "db_snapshots": _manual_snapshots(clients),
        "parameters": _parameters(clients),
        "iam_users": _iam_users(clients),
        "log_streams": _log_streams(clients),
    }


def _services(clients: AwsClients, platform: Platform) -> dict[str, tuple[str, int]]:
    found = clients.ecs.describe_services(cluster=platform.cluster, services=list(platform.service_names))
    return {s["serviceName"]: (s["taskDefinition"], s["desiredCount"]) for s in found["services"]}


def _active_task_definitions(clients: AwsClients) -> list[str]:
    pages = clients.ecs.get_paginator("list_task_definitions").paginate(status="ACTIVE")
    return sorted(arn for page in pages for arn in page["taskDefinitionArns"])


def _db_clusters(clients: AwsClients) -> list[str]:
    return sorted(c["DBClusterIdentifier"] for c in clients.rds.describe_db_clusters()["DBClusters"])


def _db_instances(clients: AwsClients) -> list[str]:
    return sorted(i["DBInstanceIdentifier"] for i in clients.rds.describe_db_instances()["DBInstances"])


def _manual_snapshots(clients: AwsClients) -> list[str]:
    found = clients.rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    return sorted(s["DBClusterSnapshotIdentifier"] for s in found)


def _parameters(clients: AwsClients) -> dict[str, str]:
    pages = clients.ssm.get_paginator("describe_parameters").paginate()
    names = [
        p["Name"]
        for page in pages
        for p in page["Parameters"]
        if not p["Name"].endswith(KEPT_PARAMETER_SUFFIX)
    ]
    values = {}
    for start in range(0, len(names), 10):
        for found in clients.ssm.get_parameters(Names=names[start : start + 10])["Parameters"]:
            values[found["Name"]] = found["Value"]
    return values


def _iam_users(clients: AwsClients) -> dict[str, list[str]]:
    users = clients.iam.list_users()["Users"]
    return {
        u["UserName"]: sorted(
            k["AccessKeyId"]
            for k in clients.iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]
        )
        for u in users
    }


def _log_streams(clients: AwsClients) -> dict[str, list[str]]:
    groups = [
        g["logGroupName"]
        for page in clients.logs.get_paginator("describe_log_groups").paginate()
        for g in page["logGroups"]
    ]
    return {
        g: sorted(
            s["logStreamName"]
            for page in clients.logs.get_paginator("describe_log_streams").paginate(logGroupName=g)
            for s in page["logStreams"]
        )
        for g in groups
    }
