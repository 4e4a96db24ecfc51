"""When an AWS Backup rule's jobs may run, so two rules on one resource never compete.

AWS Backup runs at most one backup or copy job per resource at a time (a quota of 1 that cannot
be raised: https://docs.aws.amazon.com/aws-backup/latest/devguide/aws-backup-limits.html);
a second job scheduled while the first runs waits, and fails if it cannot start within its own
start window. A rule's job may start up to ``start window`` minutes after its scheduled time and
run ``completion window`` minutes after it starts, so two rules on the same resource are kept
apart when their scheduled times of day are at least one full window apart.

Read by the stack config (``backup.snapshotSchedule`` / ``backup.continuousSchedule``) and by the
policy pack (any ``aws.backup.Plan``), so both refuse the same plans.
"""

from __future__ import annotations

import re

# The windows the program gives every backup rule (components/backup.py uses these).
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 360
# AWS Backup's own defaults when a rule sets none (CreateBackupPlan, BackupRuleInput):
# StartWindowMinutes 8 hours, CompletionWindowMinutes 7 days.
AWS_DEFAULT_START_WINDOW_MINUTES = 8 * 60
AWS_DEFAULT_COMPLETION_WINDOW_MINUTES = 7 * 24 * 60
MINUTES_PER_DAY = 24 * 60

# cron(minutes hours day-of-month month day-of-week year) at one fixed time of day.
_FIXED_TIME_CRON = re.compile(r"cron\(([0-9]|[1-5][0-9]) ([0-9]|1[0-9]|2[0-3]) \S+ \S+ \S+ \S+\)")


def time_of_day(expression: str) -> int | None:
    """Minutes after midnight of a cron expression with one fixed minute and hour, else None."""
    match = _FIXED_TIME_CRON.fullmatch(expression.strip())
    if match is None:
        return None
    return int(match.group(2)) * 60 + int(match.group(1))


def window_minutes(start_window: int | None, completion_window: int | None) -> int:
    """How long after its scheduled time a rule's job may still be running."""
    start = AWS_DEFAULT_START_WINDOW_MINUTES if start_window is None else start_window
    completion = AWS_DEFAULT_COMPLETION_WINDOW_MINUTES if completion_window is None else completion_window
    return start + completion


def minutes_apart(first: int, second: int) -> int:
    """The shorter distance between two times of day, around midnight."""
    distance = abs(first - second) % MINUTES_PER_DAY
    return min(distance, MINUTES_PER_DAY - distance)


def schedules_overlap(first: str, second: str, window: int) -> bool:
    """Whether jobs of two schedules can run at once, comparing times of day (any days).

    Identical expressions always overlap. Expressions without one fixed time of day cannot be
    compared here; only identical ones are reported.
    """
    if first.strip() == second.strip():
        return True
    first_time, second_time = time_of_day(first), time_of_day(second)
    if first_time is None or second_time is None:
        return False
    return minutes_apart(first_time, second_time) < window


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
