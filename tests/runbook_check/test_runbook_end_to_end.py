"""The runbook checked as CI checks it: the project's runbook passes, and a copy with broken blocks
fails on exactly those blocks, each with a message naming the block and the problem."""

from __future__ import annotations

import pytest

from runbook_check.document import load_runbook
from targets.target import CLOUDTRAIL_LOOKUP, MOTO_GAPS
from tests.support.platform_names import CLUSTER, PRODUCTION, STAGING
from tests.support.runbook_harness import RUNBOOK, run_checker, sections


@pytest.fixture(scope="module")
def project_run(tmp_path_factory):
    """docs/runbook.md, exactly as `make test` checks it (its own emulators, two workers)."""
    return run_checker(RUNBOOK, tmp_path_factory.mktemp("project-runbook"))


def test_every_runnable_block_of_the_project_runbook_passes(project_run):
    assert project_run.process.returncode == 0, project_run.process.stderr[-3000:]
    blocks = load_runbook(RUNBOOK).blocks
    runnable = [b for b in blocks if b.annotations.not_covered is None and not b.annotations.requires]
    summary = project_run.report["summary"]
    assert summary == {
        "passed": len(runnable),
        "failed": 0,
        "not_covered": len(blocks) - len(runnable),
        "not_run": 0,
    }
    assert (
        f"{len(runnable)} passed, 0 failed, {len(blocks) - len(runnable)} not covered"
        in project_run.process.stderr
    )


def test_blocks_the_emulator_cannot_check_are_reported_not_covered_with_the_reason(project_run):
    by_status = {}
    for block in project_run.report["blocks"]:
        by_status.setdefault(block["status"], []).append(block)
    assert all(block["reason"] for block in by_status["not-covered"])
    cloudtrail = [b for b in by_status["not-covered"] if MOTO_GAPS[CLOUDTRAIL_LOOKUP] in b["reason"]]
    assert [b["section"][:4] for b in cloudtrail] == ["P0-C"]
    assert "arguments" in cloudtrail[0]["reason"]
    assert any("WireGuard" in b["reason"] for b in by_status["not-covered"])


def test_every_passed_block_checked_something(project_run):
    passed = [b for b in project_run.report["blocks"] if b["status"] == "passed"]
    assert passed and all(any(c.endswith(": ok") or " ok in all " in c for c in b["checks"]) for b in passed)


# One copy of the runbook with one deliberate break per section, checked in a single run.
BREAKS = {
    "misspelled AWS CLI flag": (
        "P1-B",
        'aws ecs describe-services --cluster "$ZELLY_CLUSTER" --services storefront fastify-nova',
        'aws ecs describe-services --clustr "$ZELLY_CLUSTER" --services storefront fastify-nova',
    ),
    "wrong cluster name": (
        "P0-A",
        'python -m runbook_actions triage --cluster "$ZELLY_CLUSTER" --since-minutes 15',
        "python -m runbook_actions triage --cluster zelly-prod --since-minutes 15",
    ),
    "drifted log group": (
        "P1-C",
        "--log-group-name /zelly/ecs/customer-panel",
        "--log-group-name /zelly/ecs/customer-panell",
    ),
    "misspelled action flag": (
        "P2: Shopify",
        "--service events-consumer --desired 4",
        "--service events-consumer --desird 4",
    ),
    "misspelled flag where the emulator lacks the API": (
        "P0-C",
        "--lookup-attributes AttributeKey",
        "--lookup-atributes AttributeKey",
    ),
}
EXTRA_SECTIONS = """
## Prints a secret

<!-- expect-output: {"op": "non_empty"} -->
```bash
aws secretsmanager get-secret-value --secret-id "$ZELLY_DB_SECRET_ID" --query SecretString --output text
```

## Wrong expectation

<!-- expect: {"path": "details.desired", "op": "eq", "value": 5} -->
```bash
python -m runbook_actions scale-service --cluster "$ZELLY_CLUSTER" --service storefront --desired 3
```

## Hangs

<!-- timeout: 1 -->
<!-- expect-output: {"op": "empty"} -->
```bash
sleep 30
```
"""


@pytest.fixture(scope="module")
def broken_run(check_on_emulator):
    text = sections(RUNBOOK.read_text(), "Before you start", *{section for section, _, _ in BREAKS.values()})
    for name, (_, good, bad) in BREAKS.items():
        assert text.count(good) == 1, f"{name}: the runbook changed; update the break"
        text = text.replace(good, bad)
    return check_on_emulator(text + EXTRA_SECTIONS)


@pytest.mark.parametrize(
    "section, number, message",
    [
        ("P1-B", 1, "exit 255 at line {first_line}: aws ecs describe-services --clustr"),
        ("P1-B", 1, "Unknown options: --clustr"),
        ("P0-A", 2, f"--cluster 'zelly-prod' is not a cluster of stack production ({CLUSTER})"),
        ("P1-C", 1, "--log-group-name '/zelly/ecs/customer-panell' is not a log group of stack production"),
        ("P2: Shopify", 3, "python -m runbook_actions scale-service: unrecognized arguments: --desird"),
        ("P0-C", 3, "arguments rejected: exit 255"),
        ("P0-C", 3, "Unknown options: --lookup-atributes"),
        ("Prints a secret", 1, "printed a secret value (redacted here)"),
        ("Wrong expectation", 1, "expectation failed: details.desired eq 5: got 3"),
        ("Hangs", 1, "timed out after 1s"),
    ],
)
def test_a_broken_block_fails_with_a_message_naming_the_problem(broken_run, section, number, message):
    block = broken_run.block(section, number)
    message = message.format(first_line=block["line"] + 1)  # the file line of the failing command
    assert block["status"] == "failed"
    assert message in block["reason"]
    failed_line = next(
        line
        for line in broken_run.process.stderr.splitlines()
        if line.startswith("FAILED") and f"{block['section']} · block {number} " in line
    )
    assert message in failed_line


def test_a_broken_copy_fails_the_run_and_only_the_broken_blocks_fail(broken_run):
    assert broken_run.process.returncode == 1
    failed = {
        (b["section"].split(":")[0], b["number"])
        for b in broken_run.report["blocks"]
        if b["status"] == "failed"
    }
    assert failed == {
        ("P1-B", 1),
        ("P0-A", 2),
        ("P1-C", 1),
        ("P2", 3),
        ("P0-C", 3),
        ("Prints a secret", 1),
        ("Wrong expectation", 1),
        ("Hangs", 1),
    }
    assert broken_run.block("P0-A", 1)["status"] == "not-covered"
    assert broken_run.block("P0-A", 3)["status"] == "not-run"
    assert broken_run.block("P0-C", 2)["status"] == "passed"
    assert broken_run.block("Before you start", 4)["status"] == "passed"


def test_against_another_stack_every_literal_name_is_drift_and_nothing_runs(check_on_emulator):
    """The runbook is production's: checked against staging, each production name is reported,
    even in blocks that cannot run because the set-up failed."""
    run = check_on_emulator(RUNBOOK.read_text(), "--stack", "staging")
    assert run.process.returncode == 1
    setup = run.block("Before you start", 1)
    assert f"ZELLY_CLUSTER='{CLUSTER}' but stack staging has {STAGING.cluster}" in setup["reason"]
    crash_logs = run.block("P0-A", 5)
    assert crash_logs["status"] == "failed"
    log_group = PRODUCTION.service("fastify-nova").log_group
    assert f"--log-group-name '{log_group}' is not a log group of stack staging" in crash_logs["reason"]
    assert run.report["summary"]["passed"] == 0
    triage = run.block("P0-A", 2)
    assert triage["status"] == "not-run"
    assert triage["reason"].startswith("the set-up block (Before you start · block 1 ")
