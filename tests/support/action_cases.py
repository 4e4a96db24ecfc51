"""A valid run of every runbook action on the seeded stand-in platform, and a snapshot of the
emulator state those runs can change.

Shared by the least-privilege, idempotency, retry and bad-input tests (tests/safety,
tests/resilience, tests/properties), so each action's happy path is written once. A new action
without a case here fails those tests by name: every action must be covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from runbook_actions import all_actions
from runbook_actions.clients import AwsClients
from runbook_actions.invoke import invoke
from tests.support.platform_names import AUDIT_LOG_GROUP, CLUSTER, DB, PARAMETER, SECRET, TOPIC_PREFIX
from tests.support.platform_names import PRODUCTION as PLATFORM

SERVICE = PLATFORM.services[0].name
OTHER_SERVICE = PLATFORM.services[1].name
INCIDENT = "INC-20261126-01"
RESTORED = f"{DB}-restored"
LEAKY_USER = "drill-leaky"
PRE_INCIDENT_SNAPSHOT = "pre-incident"
# stop-writes' record, written out as documented rather than derived from the code under test.
DESIRED_COUNTS_RECORD = f"/incident-guardrails/{CLUSTER}/incidents/{INCIDENT}/desired-counts"
SEEDED_COUNTS = {service.name: service.desired_count for service in PLATFORM.services}


def desired_counts(clients: AwsClients) -> dict[str, int]:
    """Every service's desired count in the emulator, by name."""
    arns = clients.ecs.list_services(cluster=CLUSTER)["serviceArns"]
    return {
        s["serviceName"]: s["desiredCount"]
        for s in clients.ecs.describe_services(cluster=CLUSTER, services=arns)["services"]
    }


Arguments = dict[str, Any]


@dataclass(frozen=True)
class ActionCase:
    """One valid run: ``prepare`` does what the guide does before this step (not recorded)."""

    action: str
    arguments: Callable[[AwsClients], Arguments]
    prepare: Callable[[AwsClients], None] = lambda clients: None
    variant: str = "default"
    # Outcomes a valid run may have on the emulator that are not ok=true, and why.
    emulator_gap: str | None = None

    @property
    def id(self) -> str:
        return self.action if self.variant == "default" else f"{self.action}[{self.variant}]"


def fixed(arguments: Arguments) -> Callable[[AwsClients], Arguments]:
    return lambda _clients: dict(arguments)


def _stop_writes(clients: AwsClients) -> None:
    invoke("stop-writes", clients, {"cluster": CLUSTER, "incident_id": INCIDENT, "db_cluster": DB})


def _restore_to_new_cluster(clients: AwsClients) -> None:
    invoke(
        "restore-cluster",
        clients,
        {
            "source": DB,
            "target": RESTORED,
            "latest": True,
            "incident_id": INCIDENT,
            "instance_class": "db.r6g.large",
        },
    )


def _leaky_user(clients: AwsClients) -> None:
    clients.iam.create_user(UserName=LEAKY_USER)
    clients.iam.create_access_key(UserName=LEAKY_USER)


def _topic(clients: AwsClients) -> None:
    clients.sns.create_topic(Name=f"{TOPIC_PREFIX}-p0")


def _pre_incident_snapshot(clients: AwsClients) -> None:
    clients.rds.create_db_cluster_snapshot(
        DBClusterIdentifier=DB, DBClusterSnapshotIdentifier=PRE_INCIDENT_SNAPSHOT
    )


def _inside_restorable_window(clients: AwsClients) -> Arguments:
    # moto's window is a single moment (the cluster's creation), so restore to its start.
    cluster = clients.rds.describe_db_clusters(DBClusterIdentifier=DB)["DBClusters"][0]
    return {
        "source": DB,
        "target": f"{RESTORED}-pitr",
        "incident_id": INCIDENT,
        "restore_time": cluster["EarliestRestorableTime"].isoformat(),
    }


STATUS_POST = {
    "severity": "P0",
    "status": "INVESTIGATING",
    "title": "All services down",
    "impact": "every request fails",
    "current_action": "rolling back",
    "next_update_minutes": 15,
    "cluster": CLUSTER,
    "incident_id": INCIDENT,
    "topic_prefix": TOPIC_PREFIX,
}

CASES: tuple[ActionCase, ...] = (
    ActionCase("triage", fixed({"cluster": CLUSTER})),
    ActionCase("rollback-service", fixed({"cluster": CLUSTER, "service": SERVICE})),
    ActionCase(
        "rollback-service",
        fixed({"cluster": CLUSTER, "service": OTHER_SERVICE, "to_revision": 1}),
        variant="to-revision",
    ),
    ActionCase("scale-service", fixed({"cluster": CLUSTER, "service": SERVICE, "desired": 6})),
    ActionCase("stop-writes", fixed({"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT})),
    ActionCase("restore-writes", fixed({"cluster": CLUSTER, "incident_id": INCIDENT}), prepare=_stop_writes),
    ActionCase("snapshot-cluster", fixed({"db_cluster": DB, "incident_id": INCIDENT})),
    ActionCase("backup-status", fixed({"db_cluster": DB})),
    # Without --instance-class the writer copies the source writer's class (DescribeDBInstances).
    ActionCase(
        "restore-cluster", fixed({"source": DB, "target": RESTORED, "latest": True, "incident_id": INCIDENT})
    ),
    ActionCase("restore-cluster", _inside_restorable_window, variant="point-in-time"),
    ActionCase(
        "restore-cluster",
        fixed(
            {
                "source": DB,
                "target": f"{RESTORED}-snap",
                "snapshot": PRE_INCIDENT_SNAPSHOT,
                "instance_class": "db.r6g.large",
                "incident_id": INCIDENT,
            }
        ),
        prepare=_pre_incident_snapshot,
        variant="snapshot",
    ),
    ActionCase(
        "cutover",
        fixed({"cluster": CLUSTER, "db_cluster": RESTORED, "endpoint_parameter": PARAMETER}),
        prepare=_restore_to_new_cluster,
    ),
    ActionCase(
        "rotate-db-credentials", fixed({"db_cluster": DB, "secret_id": SECRET, "incident_id": INCIDENT})
    ),
    ActionCase("deactivate-access-key", fixed({"user": LEAKY_USER, "all": True}), prepare=_leaky_user),
    ActionCase("redeploy-all", fixed({"cluster": CLUSTER, "secret_ids": [SECRET]})),
    ActionCase("audit-log-search", fixed({"pattern": "admin", "log_group": AUDIT_LOG_GROUP})),
    ActionCase(
        "cloudtrail-lookup",
        fixed({"user": LEAKY_USER}),
        emulator_gap="moto does not implement CloudTrail LookupEvents; the call is "
        "still made, then reported as not supported",
    ),
    ActionCase("post-status", fixed(STATUS_POST), prepare=_topic),
)


def cases_of(action: str) -> list[ActionCase]:
    found = [case for case in CASES if case.action == action]
    assert found, f"runbook action {action!r} has no valid run in tests/support/action_cases.py; add one"
    return found


def default_case(action: str) -> ActionCase:
    return cases_of(action)[0]


def mutating_actions() -> list[str]:
    return [name for name, action in all_actions().items() if action.mutating]


def emulator_state(clients: AwsClients) -> dict[str, Any]:
    """What a runbook action can change, in comparable form (no timestamps)."""
    return {
        "ecs": _ecs_state(clients),
        "rds": _rds_state(clients),
        "secrets": _secret_stages(clients),
        "ssm": _parameters(clients),
        "iam": _access_keys(clients),
        "ec2": _acl_entries(clients),
    }


def _acl_entries(clients: AwsClients) -> dict[str, Any]:
    """Every network ACL's entries (the write fence adds and lifts deny entries)."""
    return {
        acl["NetworkAclId"]: sorted(
            (e["RuleNumber"], e["Egress"], e["RuleAction"], e.get("CidrBlock", ""), str(e.get("PortRange")))
            for e in acl["Entries"]
        )
        for acl in clients.ec2.describe_network_acls()["NetworkAcls"]
    }


def _ecs_state(clients: AwsClients) -> dict[str, Any]:
    ecs = clients.ecs
    arns = ecs.list_services(cluster=CLUSTER)["serviceArns"]
    services = ecs.describe_services(cluster=CLUSTER, services=arns)["services"] if arns else []
    return {
        "services": {
            s["serviceName"]: {
                "task_definition": s["taskDefinition"],
                "desired": s["desiredCount"],
                "deployments": sorted(d["id"] for d in s.get("deployments", [])),
                "tags": sorted(
                    (t["key"], t["value"])
                    for t in ecs.list_tags_for_resource(resourceArn=s["serviceArn"])["tags"]
                ),
            }
            for s in services
        },
        "task_definitions": {
            status: sorted(ecs.list_task_definitions(status=status)["taskDefinitionArns"])
            for status in ("ACTIVE", "INACTIVE")
        },
    }


def _rds_state(clients: AwsClients) -> dict[str, Any]:
    rds = clients.rds
    return {
        "clusters": sorted(
            (
                c["DBClusterIdentifier"],
                c["Status"],
                tuple(sorted(m["DBInstanceIdentifier"] for m in c["DBClusterMembers"])),
            )
            for c in rds.describe_db_clusters()["DBClusters"]
        ),
        "snapshots": sorted(
            s["DBClusterSnapshotIdentifier"]
            for s in rds.describe_db_cluster_snapshots()["DBClusterSnapshots"]
        ),
        "instances": sorted(i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]),
    }


def _secret_stages(clients: AwsClients) -> dict[str, Any]:
    sm = clients.secretsmanager
    return {
        s["Name"]: sorted(
            (v, tuple(sorted(stages)))
            for v, stages in sm.describe_secret(SecretId=s["ARN"])["VersionIdsToStages"].items()
        )
        for s in sm.list_secrets()["SecretList"]
    }


def _parameters(clients: AwsClients) -> dict[str, Any]:
    ssm = clients.ssm
    names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    return {
        name: (found["Version"], found["Value"])
        for name in names
        for found in [ssm.get_parameter(Name=name)["Parameter"]]
    }


def _access_keys(clients: AwsClients) -> dict[str, Any]:
    iam = clients.iam
    return {
        user["UserName"]: sorted(
            (k["AccessKeyId"], k["Status"])
            for k in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
        )
        for user in iam.list_users()["Users"]
    }
