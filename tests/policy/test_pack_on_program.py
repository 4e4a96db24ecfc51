"""The real program passes the whole pack on both stacks, and the pack's entry point serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pulumi_policy import EnforcementLevel

from policy.pack import POLICIES
from tests.support.policy_harness import evaluate
from tests.support.program_harness import program_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_every_recorded_resource_passes_every_policy(stack: str) -> None:
    run = program_run(stack)
    assert len(run.resources) > 100
    assert evaluate(run) == []


def test_the_pack_has_the_issues_rules_all_mandatory() -> None:
    names = {policy.name for policy in POLICIES}
    assert names == {
        "backup-retention-minimum",
        "backup-rules-do-not-overlap",
        "alarm-has-severity-actions",
        "alarm-routed-to-its-severity-topic",
        "service-running-tasks-alarm",
        "break-glass-mfa-and-session",
        "break-glass-cannot-silence-page",
        "cloudtrail-rule-receives-read-only-events",
        "production-p0-p1-page-someone",
        "no-wildcard-iam-actions",
        "runbook-function-settings",
        "runbook-function-failure-destination",
        "runbook-function-log-retention",
        "runbook-function-least-privilege",
        "topics-encrypted",
    }
    assert all(policy.enforcement_level == EnforcementLevel.MANDATORY for policy in POLICIES)


def test_thresholds_are_configurable_with_defaults_in_the_schema() -> None:
    defaults = {
        policy.name: {key: spec.get("default") for key, spec in policy.config_schema.properties.items()}
        for policy in POLICIES
        if policy.config_schema
    }
    assert defaults["backup-retention-minimum"] == {"minimumRetentionDays": 7}
    assert defaults["break-glass-mfa-and-session"] == {"maxSessionSeconds": 3600}
    assert defaults["runbook-function-log-retention"] == {"minimumLogRetentionDays": 30}
    assert defaults["runbook-function-settings"]["maxTimeoutSeconds"] == 900


def test_the_pack_project_file_runs_python_in_the_projects_virtualenv() -> None:
    project = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert project["runtime"]["name"] == "python"
    assert (ROOT / "policy" / project["runtime"]["options"]["virtualenv"]).resolve() == ROOT / ".venv"


def test_the_entry_point_builds_the_pack_and_serves_it() -> None:
    """CrossGuard runs policy/__main__.py, which prints the gRPC port and then serves forever."""
    server = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "policy" / "__main__.py")],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = server.stdout.readline().strip()
        assert port.isdigit(), server.stderr.read() if server.poll() is not None else port
    finally:
        server.terminate()
        server.wait(timeout=10)
