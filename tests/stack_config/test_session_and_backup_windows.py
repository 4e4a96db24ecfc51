"""Break-glass session length within IAM's range; backup rules a job window apart (issue 12)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stack_config import StackConfigError, backup_windows, load_stack_config, platform_from_config

KEY = "incident-guardrails:platform"


def _platform(**changes: dict[str, Any]):
    """The production platform with ``changes`` merged into its sections (breakGlass, backup)."""
    raw = copy.deepcopy(load_stack_config("production")[KEY])
    for section, values in changes.items():
        raw[section] = {**raw.get(section, {}), **values}
    return platform_from_config(raw)


@pytest.mark.parametrize("seconds", [3600, 7200, 43200])
def test_max_session_seconds_accepts_iams_max_session_duration_range(seconds: int) -> None:
    assert _platform(breakGlass={"maxSessionSeconds": seconds}).break_glass.max_session_seconds == seconds


@pytest.mark.parametrize("seconds", [900, 1800, 3599, 43201])
def test_max_session_seconds_outside_iams_range_is_refused(seconds: int) -> None:
    # IAM's MaxSessionDuration is 3600..43200: 900 passed the old check and failed at deploy.
    with pytest.raises(StackConfigError, match=rf"maxSessionSeconds: {seconds} is outside IAM's"):
        _platform(breakGlass={"maxSessionSeconds": seconds})


def test_the_stacks_run_the_two_backup_rules_a_job_window_apart() -> None:
    backup = _platform().backup
    window = backup_windows.window_minutes(
        backup_windows.START_WINDOW_MINUTES, backup_windows.COMPLETION_WINDOW_MINUTES
    )
    assert backup.continuous_schedule != backup.snapshot_schedule
    assert not backup_windows.schedules_overlap(backup.continuous_schedule, backup.snapshot_schedule, window)


@pytest.mark.parametrize(
    "backup, message",
    [
        ({"continuousSchedule": "cron(0 20 * * ? *)"}, "continuousSchedule: starts at 20:00 UTC, 0 minutes"),
        ({"continuousSchedule": "cron(30 14 * * ? *)"}, "330 minutes from snapshotSchedule (20:00)"),
        # Around midnight: 02:00 is 360 minutes after 20:00.
        ({"continuousSchedule": "cron(0 2 * * ? *)"}, "at least 420 minutes apart"),
        ({"snapshotSchedule": "cron(0 4 * * ? *)"}, "continuousSchedule: starts at 05:00 UTC, 60 minutes"),
        ({"continuousSchedule": "cron(0 */6 * * ? *)"}, "at one fixed minute and hour"),
        ({"snapshotSchedule": "rate(1 day)"}, "snapshotSchedule: 'rate(1 day)' is not a cron"),
        ({"snapshotSchedule": "cron(0 20 * * * *)"}, "exactly one of day-of-month and day-of-week"),
    ],
)
def test_overlapping_or_unreadable_backup_schedules_are_refused(backup: dict[str, str], message: str) -> None:
    with pytest.raises(StackConfigError, match="platform.backup") as error:
        _platform(backup=backup)
    assert message in str(error.value)


def test_schedules_apart_by_exactly_one_window_are_accepted() -> None:
    # 20:00 + 420 minutes = 03:00.
    assert _platform(backup={"continuousSchedule": "cron(0 3 * * ? *)"}).backup.continuous_schedule


@pytest.mark.parametrize(
    "first, second, overlap",
    [
        ("cron(0 20 * * ? *)", "cron(0 20 * * ? *)", True),
        ("cron(0 20 * * ? *)", "cron(0 5 * * ? *)", False),
        ("cron(0 23 * * ? *)", "cron(0 1 * * ? *)", True),
        ("cron(0 */6 * * ? *)", "cron(0 */6 * * ? *)", True),  # identical, whatever they mean
        ("cron(0 */6 * * ? *)", "cron(0 5 * * ? *)", False),  # not comparable: not reported
    ],
)
def test_schedules_overlap(first: str, second: str, overlap: bool) -> None:
    assert backup_windows.schedules_overlap(first, second, 420) is overlap
