"""Check an EventBridge Scheduler expression at config time, so a typo fails the preview.

AWS accepts ``cron(min hour day-of-month month day-of-week year)`` with a ``?`` in exactly one
of the two day fields, ``rate(N unit)`` (singular unit for 1, plural otherwise), and the
one-time ``at(yyyy-mm-ddThh:mm:ss)``. Anything else is refused by the Scheduler API only at
deploy time, after the rest of the stack changed.
"""

from __future__ import annotations

import re

from .exceptions import StackConfigError

_CRON = re.compile(r"cron\((.+)\)")
_RATE = re.compile(r"rate\(([1-9]\d{0,5}) (minute|hour|day)(s?)\)")
_AT = re.compile(r"at\(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\)")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/\-#L]+")
CRON_FIELDS = 6


def check_schedule_expression(expression: str, path: str) -> None:
    """Raise StackConfigError naming ``path`` unless ``expression`` is a valid Scheduler expression."""
    if _AT.fullmatch(expression):
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
    fields = cron.group(1).split()
    if len(fields) != CRON_FIELDS or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise StackConfigError(
            f"{path}: {expression!r} needs six cron fields "
            "(minutes hours day-of-month month day-of-week year)"
        )
    if (fields[2] == "?") == (fields[4] == "?"):
        raise StackConfigError(
            f"{path}: {expression!r} must have '?' in exactly one of day-of-month and day-of-week"
        )
