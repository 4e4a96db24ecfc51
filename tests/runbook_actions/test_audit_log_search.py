"""audit-log-search against moto's CloudWatch Logs, with lines in Aurora MySQL's audit format."""
from __future__ import annotations

import json
import time

import pytest

from runbook_actions import audit_log_search as module
from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError

NAME = "audit-log-search"
ATTACKER = "198.51.100.23"
NEW_PASSWORD = "N3w-secret-value"
# (minutes ago, instance, audit record after the timestamp)
AUDIT_LINES = [
    (180, 1, f"ip-10-0-1-5,admin,{ATTACKER},700,1,QUERY,zelly,'DROP TABLE merchants',0"),
    (30, 1, f"ip-10-0-1-5,admin,{ATTACKER},812,4410,QUERY,zelly,'SELECT * FROM merchants',0"),
    (25, 2, "ip-10-0-2-7,app,10.0.1.12,77,0,CONNECT,zelly,,0"),
    (20, 2, "ip-10-0-2-7,app,10.0.1.12,77,901,QUERY,zelly,'select id from orders where id=1',0"),
    (15, 1, f"ip-10-0-1-5,admin,{ATTACKER},812,4411,QUERY,zelly,"
            f"'ALTER USER \\'app\\'@\\'%\\' IDENTIFIED BY \\'{NEW_PASSWORD}\\'',0"),
    (10, 1, f"ip-10-0-1-5,admin,{ATTACKER},813,0,FAILED_CONNECT,,,1045"),
]


@pytest.fixture
def log_group(clients, platform) -> str:
    """The audit log group with one stream per instance; one line is older than an hour."""
    name = platform.aurora.audit_log_group
    logs = clients.logs
    logs.create_log_group(logGroupName=name)
    now_ms = int(time.time() * 1000)
    for instance in (1, 2):
        stream = f"{platform.aurora.cluster_id}-instance-{instance}"
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        events = [{"timestamp": now_ms - minutes * 60_000,
                   "message": f"{(now_ms - minutes * 60_000) * 1000},{record}"}
                  for minutes, on, record in AUDIT_LINES if on == instance]
        logs.put_log_events(logGroupName=name, logStreamName=stream, logEvents=events)
    return name


def search(clients, log_group, dry_run=False, **arguments):
    return invoke(NAME, clients, {"log_group": log_group, **arguments}, dry_run=dry_run).details


def test_substring_match_is_case_insensitive_and_windowed(clients, log_group):
    details = search(clients, log_group, pattern="SELECT")
    assert details["matched"] == 2 and details["scanned"] == 5  # the 3-hour-old line is outside
    assert [line["message"].split(",", 8)[-1] for line in details["lines"]] == [
        "'SELECT * FROM merchants',0", "'select id from orders where id=1',0"]


def test_counts_matches_by_user_host_operation_and_stream(clients, log_group, platform):
    details = search(clients, log_group, pattern=ATTACKER)
    assert details["matched"] == 3
    counts = details["counts"]
    assert counts["by_user"] == {"admin": 3} and counts["by_client_host"] == {ATTACKER: 3}
    assert counts["by_operation"] == {"QUERY": 2, "FAILED_CONNECT": 1}
    assert counts["by_database"] == {"zelly": 2, "unknown": 1}
    assert counts["by_stream"] == {f"{platform.aurora.cluster_id}-instance-1": 3}
    assert counts["not_in_audit_format"] == 0


@pytest.mark.parametrize("pattern, since, expected", [
    (r"\b(drop|alter)\s+(table|user)\b", "1h", 1),
    (r"\b(drop|alter)\s+(table|user)\b", "24h", 2),
    ("merchants|orders", "1h", 2),  # an OR, which moto's server-side filter patterns ignore
])
def test_regex_match(clients, log_group, pattern, since, expected):
    details = search(clients, log_group, pattern=pattern, regex=True, since=since)
    assert details["matched"] == expected


def test_passwords_in_matching_lines_are_masked(clients, log_group):
    details = search(clients, log_group, pattern="identified by")
    assert details["matched"] == 1
    assert NEW_PASSWORD not in json.dumps(details)
    assert "IDENTIFIED BY \\'***\\'" in details["lines"][0]["message"]


def test_returns_only_the_newest_max_lines_but_counts_all(clients, log_group):
    details = search(clients, log_group, pattern=ATTACKER, max_lines=1)
    assert details["matched"] == 3 and details["lines_truncated"] is True
    [newest] = details["lines"]
    assert "FAILED_CONNECT" in newest["message"]


def test_scan_is_bounded(clients, log_group, monkeypatch):
    monkeypatch.setattr(module, "MAX_EVENTS_SCANNED", 3)
    details = search(clients, log_group, pattern="zelly")
    assert details["scanned"] == 3 and details["scan_limit_reached"] is True
    assert "narrow --since" in details["note"]


def test_reads_change_nothing_and_dry_run_answers_the_same(clients, log_group):
    plain = search(clients, log_group, pattern="connect")
    dry = search(clients, log_group, dry_run=True, pattern="connect")
    assert {k: v for k, v in dry.items() if k != "window"} == {
        k: v for k, v in plain.items() if k != "window"}


@pytest.mark.parametrize("arguments, error, words", [
    ({"pattern": "(unclosed", "regex": True}, InvalidArgumentError, r"'\(unclosed' is not a valid regular"),
    ({"pattern": "x", "since": "100d"}, InvalidArgumentError, "maximum 90d"),
    ({"pattern": "x", "max_lines": 0}, InvalidArgumentError, "--max-lines"),
    ({"pattern": "x", "log_group": "/aws/rds/cluster/missing/audit"}, NotFoundError, "missing"),
])
def test_refusals(clients, log_group, arguments, error, words):
    with pytest.raises(error, match=words):
        invoke(NAME, clients, {"log_group": log_group, **arguments})


def test_log_group_comes_from_the_environment_on_the_seeded_platform(clients, seeded, platform,
                                                                     monkeypatch):
    monkeypatch.setenv("ZELLY_AUDIT_LOG_GROUP", platform.aurora.audit_log_group)
    details = invoke(NAME, clients, {"pattern": "connect"}).details
    assert details["log_group"] == platform.aurora.audit_log_group
    assert details["matched"] == 1 and details["counts"]["not_in_audit_format"] == 1


def test_missing_log_group_names_the_variable(clients, monkeypatch):
    monkeypatch.delenv("ZELLY_AUDIT_LOG_GROUP", raising=False)
    with pytest.raises(InvalidArgumentError, match="ZELLY_AUDIT_LOG_GROUP"):
        invoke(NAME, clients, {"pattern": "x"})


def test_cli(clients, log_group, capsys):
    code = main([NAME, "--pattern", "drop table", "--since", "24h", "--log-group", log_group])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["details"]["matched"] == 1
