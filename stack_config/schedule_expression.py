"""Check a schedule expression at config time, so a typo fails the preview and a schedule fires.

EventBridge Scheduler (the game day) accepts ``cron(min hour day-of-month month day-of-week
year)``, ``rate(N unit)`` (singular unit for 1, plural otherwise) and the one-time
``at(yyyy-mm-ddThh:mm:ss)``; AWS Backup rules take the same cron expressions (their
ScheduleExpression is "a CRON expression in UTC", in EventBridge's syntax). Each field is checked
against the EventBridge User Guide's cron reference (stack_config/cron.py), and an expression
that would never fire from now on is refused too: AWS accepts ``cron(0 5 31 2 ? *)`` (February
31st) or a year that has passed, and the schedule then silently does nothing. Anything else is
refused by the API only at deploy time, after the rest of the stack changed.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .cron import CronError, next_fire, parse
from .exceptions import StackConfigError

_CRON = re.compile(r"cron\((.+)\)")
_RATE = re.compile(r"rate\(([1-9]\d{0,5}) (minute|hour|day)(s?)\)")
_AT = re.compile(r"at\((\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)\)")
# What each cron field may hold at all; finer checks (ranges, wildcards per field) are cron.py's.
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/\-#]+")
CRON_FIELDS = 6


def check_schedule_expression(expression: str, path: str, now: datetime | None = None) -> None:
    """Raise StackConfigError naming ``path`` unless ``expression`` is valid and fires after ``now``."""
    moment = now or datetime.now(timezone.utc)
    at = _AT.fullmatch(expression)
    if at:
        _check_at(expression, at.group(1), path)
        return
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit, plural = rate.groups()
        if (value == "1") == bool(plural):
            wanted = f"{unit}s" if value != "1" else unit
            raise StackConfigError(f"{path}: {expression!r} must say rate({value} {wanted})")
        return
    cron = _CRON.fullmatch(expression)
    if cron is None:
        raise StackConfigError(f"{path}: {expression!r} is not cron(...), rate(...) or at(...)")
    check_cron(expression, path, moment)


def check_cron(expression: str, path: str, now: datetime | None = None) -> None:
    """A cron expression AWS accepts, and that fires at least once after ``now``."""
    moment = now or datetime.now(timezone.utc)
    fields = expression.strip().removeprefix("cron(").removesuffix(")").split()
    if len(fields) != CRON_FIELDS or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise StackConfigError(
            f"{path}: {expression!r} needs six cron fields "
            "(minutes hours day-of-month month day-of-week year)"
        )
    if (fields[2] == "?") == (fields[4] == "?"):
        raise StackConfigError(
            f"{path}: {expression!r} must have '?' in exactly one of day-of-month and day-of-week"
        )
    try:
        cron = parse(expression)
    except CronError as error:
        raise StackConfigError(f"{path}: {expression!r} {error} (EventBridge cron syntax)") from None
    if next_fire(cron, moment) is None:
        raise StackConfigError(
            f"{path}: {expression!r} never fires after {moment:%Y-%m-%d %H:%M} UTC "
            "(its years have passed, or none of the dates it names exists)"
        )


def _check_at(expression: str, text: str, path: str) -> None:
    """A date that exists (not 2026-02-30). Whether it has passed is not checked: a one-time game
    day is announced once, and the stack file keeps its date after it."""
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise StackConfigError(f"{path}: {expression!r} is not a date and time that exists") from None
