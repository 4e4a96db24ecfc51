"""``python -m drills preflight`` against the embedded emulator: the seeded platform passes, each
precondition removed in turn is reported missing with its fix, what moto cannot show is reported
not covered (never ok), and nothing but Describe/Get/List calls is ever made."""

from __future__ import annotations

from typing import Any, Callable

import boto3
import pytest

from drills.cli import main
from runbook_actions import AwsClients
from stack_config import load_platform
from stack_config.preconditions import PRECONDITIONS
from targets.emulator import MotoServer
from targets.preflight import (
    READ_ONLY_PREFIXES,
    PreflightTarget,
    ReadOnlyClients,
    ReadOnlyViolationError,
    check_all,
)
from targets.preflight_command import open_preflight
from targets.seed import TRAIL_NAME, seed_platform
from targets.session import emulator_clients

PLATFORM = load_platform("production")
KEYS = [p.key for p in PRECONDITIONS]
FIXES = {p.key: p.for_platform(PLATFORM).fix for p in PRECONDITIONS}
# What moto stores and returns but never acts on: these parts are "not covered" on it.
NOT_COVERED_ON_MOTO = {
    "cloudtrail-log-group": "moto delivers no trail events to CloudWatch Logs",
    "container-insights": "moto publishes no Container Insights metrics",
    "aurora-audit-export": "moto exports no RDS logs",
}


@pytest.fixture
def emulator(seeded_emulator) -> tuple[str, AwsClients]:
    """The shared moto server holding the freshly seeded production stand-in."""
    return seeded_emulator.endpoint_url, seeded_emulator.clients


def preflight(capsys, *argv: str) -> tuple[int, dict[str, str], str]:
    """Exit code, the report line of each precondition by key, and all output."""
    code = main(["preflight", "--stack", "production", *argv])
    out, err = capsys.readouterr()
    lines = {}
    for line in out.splitlines():
        words = line.replace("not covered", "not-covered", 1).split()
        if len(words) > 1 and words[1] in KEYS:
            lines[words[1]] = line
    return code, lines, out + err


def status(line: str) -> str:
    return "not covered" if line.startswith("not covered") else line.split()[0]


def test_the_seeded_platform_meets_every_precondition_moto_can_show(emulator, capsys) -> None:
    endpoint, _ = emulator
    code, lines, out = preflight(capsys, "--endpoint-url", endpoint)
    assert code == 0, out
    assert out.startswith(
        f"pre-flight of stack production on local: moto at {endpoint}, account 123456789012"
    )
    assert list(lines) == KEYS
    assert status(lines["aurora-backup-retention"]) == "ok"
    for key, gap in NOT_COVERED_ON_MOTO.items():
        assert status(lines[key]) == "not covered" and gap in lines[key], lines[key]
    assert f"trail {TRAIL_NAME} delivers to /aws/cloudtrail/zelly" in lines["cloudtrail-log-group"]
    assert "1 hold, 0 missing, 3 not covered on this target" in out


def _cloudtrail(clients: AwsClients) -> Any:
    return clients.cloudtrail


def _seed_without_audit_export(clients: AwsClients) -> None:
    """The platform as seeded, but its Aurora cluster created without the audit-log export
    (moto ignores DisableLogTypes, and a cluster made again in the same minute clashes with its
    automated snapshot)."""
    endpoint = str(clients.endpoint_url)
    MotoServer.reset_at(endpoint)
    fresh = emulator_clients(endpoint, PLATFORM.region)

    def without_export(params: dict[str, Any], **_: Any) -> None:
        params["EnableCloudwatchLogsExports"] = ["error", "slowquery"]

    fresh.rds.meta.events.register("before-parameter-build.rds.CreateDBCluster", without_export)
    seed_platform(fresh, PLATFORM)


REMOVALS: dict[str, tuple[str, Callable[[AwsClients], Any], str]] = {
    "trail stopped": (
        "cloudtrail-log-group",
        lambda c: _cloudtrail(c).stop_logging(Name=TRAIL_NAME),
        f"trail {TRAIL_NAME} is not logging",
    ),
    "trail deleted": (
        "cloudtrail-log-group",
        lambda c: _cloudtrail(c).delete_trail(Name=TRAIL_NAME),
        "no trail delivers to /aws/cloudtrail/zelly in ap-south-1 (no trails)",
    ),
    "trail logs writes only": (
        "cloudtrail-log-group",
        lambda c: _cloudtrail(c).put_event_selectors(
            TrailName=TRAIL_NAME,
            EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
        ),
        "does not log read management events",
    ),
    "trail in one region": (
        "cloudtrail-log-group",
        lambda c: _cloudtrail(c).update_trail(Name=TRAIL_NAME, IsMultiRegionTrail=False),
        "logs one Region only",
    ),
    "log group deleted": (
        "cloudtrail-log-group",
        lambda c: c.logs.delete_log_group(logGroupName="/aws/cloudtrail/zelly"),
        "log group /aws/cloudtrail/zelly does not exist",
    ),
    "container insights off": (
        "container-insights",
        lambda c: c.ecs.update_cluster(
            cluster=PLATFORM.cluster, settings=[{"name": "containerInsights", "value": "disabled"}]
        ),
        "containerInsights is disabled on ECS cluster zelly-production",
    ),
    "retention three days": (
        "aurora-backup-retention",
        lambda c: c.rds.modify_db_cluster(
            DBClusterIdentifier=PLATFORM.aurora.cluster_id, BackupRetentionPeriod=3, ApplyImmediately=True
        ),
        "keeps automated backups for 3 days, fewer than 7",
    ),
    "audit not exported": (
        "aurora-audit-export",
        _seed_without_audit_export,
        "exports error, slowquery to CloudWatch Logs, not audit",
    ),
}


@pytest.mark.parametrize("removal", list(REMOVALS))
def test_each_precondition_removed_is_reported_missing_with_its_fix(emulator, capsys, removal: str) -> None:
    endpoint, clients = emulator
    key, remove, problem = REMOVALS[removal]
    remove(clients)
    code, lines, out = preflight(capsys, "--endpoint-url", endpoint)
    assert code == 1, out
    assert status(lines[key]) == "MISSING" and problem in lines[key], lines[key]
    assert f"Fix: {FIXES[key]}" in lines[key]
    others = [status(line) for other, line in lines.items() if other != key]
    assert "MISSING" not in others, out
    assert "0 hold, 1 missing" in out or "1 hold, 1 missing" in out


def test_the_embedded_emulator_is_started_and_seeded_when_no_endpoint_is_given(capsys) -> None:
    code, lines, out = preflight(capsys)
    assert code == 0, out
    assert out.startswith("pre-flight of stack production on local: moto at http://127.0.0.1:")
    assert status(lines["aurora-backup-retention"]) == "ok"


def _read_only(endpoint: str | None, region: str = PLATFORM.region) -> ReadOnlyClients:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    return ReadOnlyClients(region, endpoint, session)


def test_the_pre_flight_only_ever_reads(emulator) -> None:
    endpoint, _ = emulator
    clients = _read_only(endpoint)
    check_all(PLATFORM, PreflightTarget("local", clients, "123456789012", emulator="moto"))
    operations = {operation for _, operation in clients.operations}
    assert operations >= {
        "DescribeTrails",
        "GetTrailStatus",
        "GetEventSelectors",
        "DescribeLogGroups",
        "DescribeClusters",
        "DescribeDBClusters",
    }
    assert all(operation.startswith(("Describe", "Get", "List", "Lookup")) for operation in operations)


def test_a_write_is_refused_before_it_reaches_the_target(emulator) -> None:
    endpoint, clients = emulator
    guarded = _read_only(endpoint)
    with pytest.raises(ReadOnlyViolationError, match="refused ecs UpdateCluster"):
        guarded.ecs.update_cluster(
            cluster=PLATFORM.cluster, settings=[{"name": "containerInsights", "value": "disabled"}]
        )
    with pytest.raises(ReadOnlyViolationError, match="refused cloudtrail StopLogging"):
        guarded.cloudtrail.stop_logging(Name=TRAIL_NAME)
    assert clients.cloudtrail.get_trail_status(Name=TRAIL_NAME)["IsLogging"] is True
    found = clients.ecs.describe_clusters(clusters=[PLATFORM.cluster], include=["SETTINGS"])["clusters"][0]
    assert found["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert guarded.operations == []
    assert READ_ONLY_PREFIXES == ("Describe", "Get", "List", "Lookup")


def test_a_target_without_a_service_reports_its_preconditions_not_covered() -> None:
    # LocalStack's open core answers none of CloudTrail, ECS and RDS: nothing to read, nothing ok.
    clients = _read_only("http://127.0.0.1:9")  # never called
    target = PreflightTarget(
        "localstack",
        clients,
        None,
        emulator="LocalStack",
        missing_services=frozenset({"cloudtrail", "ecs", "rds"}),
    )
    findings = check_all(PLATFORM, target)
    assert [f.status for f in findings] == ["not covered"] * 4
    assert findings[1].not_covered == ("localstack does not answer ecs",)
    assert clients.operations == []


def test_on_a_real_account_the_evidence_is_required_too(clients, capsys) -> None:
    """``--target aws`` through the default credential chain (moto in-process stands in for AWS):
    moto shows the configuration, but a real account must also show that AWS acts on it."""
    seed_platform(clients, PLATFORM)
    for service in PLATFORM.service_names:
        clients.cloudwatch.put_metric_data(
            Namespace="ECS/ContainerInsights",
            MetricData=[
                {
                    "MetricName": "RunningTaskCount",
                    "Value": 2,
                    "Dimensions": [
                        {"Name": "ClusterName", "Value": PLATFORM.cluster},
                        {"Name": "ServiceName", "Value": service},
                    ],
                }
            ],
        )
    code, lines, out = preflight(capsys, "--target", "aws")
    assert out.startswith("pre-flight of stack production on aws: account 123456789012 as arn:aws:")
    assert "region ap-south-1" in out.splitlines()[0]
    assert code == 1, out
    # moto keeps no CloudTrail delivery time: on a real account that is a trail that never delivered.
    assert status(lines["cloudtrail-log-group"]) == "MISSING"
    assert "has not delivered anything to CloudWatch Logs yet" in lines["cloudtrail-log-group"]
    assert [status(lines[k]) for k in KEYS[1:]] == ["ok", "ok", "ok"]
    assert not [line for line in lines.values() if status(line) == "not covered"]


def test_on_a_real_account_a_silent_service_is_missing(clients) -> None:
    seed_platform(clients, PLATFORM)
    with open_preflight("aws", PLATFORM) as target:
        findings = {f.precondition.key: f for f in check_all(PLATFORM, target)}
        operations = {operation for _, operation in target.clients.operations}
    assert findings["container-insights"].problems == (
        "Container Insights publishes no RunningTaskCount for fastify-nova, customer-panel, "
        "orion-backend, storefront, events-consumer (ListMetrics)",
    )
    assert "ListMetrics" in operations and "GetCallerIdentity" in operations
    assert all(operation.startswith(READ_ONLY_PREFIXES) for operation in operations)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--target", "aws", "--endpoint-url", "http://127.0.0.1:5000"],
            "--endpoint-url is for emulator targets",
        ),
        (["--target", "nowhere"], "invalid choice: 'nowhere'"),
        (["--stack", "nope"], "nope"),
        (["--endpoint-url", "https://ecs.ap-south-1.amazonaws.com"], "is AWS itself"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv: list[str], message: str) -> None:
    code = main(["preflight", *argv])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err


def test_an_aws_endpoint_in_the_environment_is_refused_for_aws(capsys, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert main(["preflight", "--target", "aws"]) == 2
    assert "AWS_ENDPOINT_URL is set" in capsys.readouterr().err


def test_on_a_real_account_no_configured_endpoint_redirects_a_call(clients, capsys, monkeypatch) -> None:
    # As for drills: AWS_ENDPOINT_URL_STS could send STS alone to something that names any account.
    seed_platform(clients, PLATFORM)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:9")
    code, lines, out = preflight(capsys, "--target", "aws")
    assert out.startswith("pre-flight of stack production on aws: account 123456789012"), out
    assert code == 1 and status(lines["container-insights"]) == "MISSING"  # read from AWS: no metrics
