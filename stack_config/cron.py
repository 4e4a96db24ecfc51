"""AWS cron expressions (EventBridge, EventBridge Scheduler, AWS Backup): parsed, and when they fire.

The syntax is the EventBridge User Guide's ("Cron expressions reference", eb-cron-expressions):
six fields, ``minutes hours day-of-month month day-of-week year``:

    Minutes       0-59              , - * /
    Hours         0-23              , - * /
    Day-of-month  1-31              , - * ? / L W
    Month         1-12 or JAN-DEC   , - * /
    Day-of-week   1-7 or SUN-SAT    , - * ? L #
    Year          1970-2199         , - * /

``?`` in exactly one of the two day fields; ``L`` is the month's last day (day-of-month) or, after
a weekday, the month's last such weekday (``6L``); ``nW`` the weekday nearest day n (``LW`` the
last weekday); ``d#n`` the month's n-th weekday d, alone in its field. A range may wrap around
(``FRI-MON``, ``22-2``), as in the Quartz scheduler whose syntax AWS follows.

A well-formed expression can still never fire: every year it names has passed, or every date it
names does not exist (``cron(0 5 31 2 ? *)``, February 31st). ``next_fire`` finds the first time an
expression fires at or after a moment, or None.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # 1-7, as AWS numbers them
FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
# (lowest, highest, names) per plain field.
_RANGES = {
    "minutes": (0, 59, ()),
    "hours": (0, 23, ()),
    "day-of-month": (1, 31, ()),
    "month": (1, 12, MONTHS),
    "day-of-week": (1, 7, WEEKDAYS),
    "year": (1970, 2199, ()),
}
_WILDCARDS = {
    "minutes": ",-*/",
    "hours": ",-*/",
    "day-of-month": ",-*?/LW",
    "month": ",-*/",
    "day-of-week": ",-*?L#",
    "year": ",-*/",
}


class CronError(ValueError):
    """The expression is not one AWS accepts; the message says which field and why."""


@dataclass(frozen=True)
class DaySpec:
    """A day field: a set of plain values, or one of the special forms."""

    values: frozenset[int] = frozenset()
    any: bool = False  # "?"
    last: bool = False  # "L" (day-of-month: the last day; day-of-week alone: Saturday)
    last_offset: int = 0  # "L-3": three days before the last
    nearest_weekday: int | None = None  # "15W"; 0 for "LW"
    last_weekday_of_month: int | None = None  # day-of-week "6L": the month's last Friday
    nth: tuple[int, int] | None = None  # day-of-week "3#2": (Tuesday, second)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DaySpec
    months: frozenset[int]
    day_of_week: DaySpec
    years: frozenset[int]

    def fires_on(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month.any:
            return _weekday_matches(self.day_of_week, day)
        return _month_day_matches(self.day_of_month, day)


def parse(expression: str) -> Cron:
    """``cron(...)`` or its six fields; raises CronError naming the field AWS would refuse."""
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    fields = (match.group(1) if match else expression).split()
    if len(fields) != len(FIELDS):
        raise CronError(f"has {len(fields)} fields; AWS cron has six ({' '.join(FIELDS)})")
    for name, text in zip(FIELDS, fields):
        unexpected = sorted(set(re.sub(r"[0-9A-Za-z]", "", text)) - set(_WILDCARDS[name]))
        if unexpected:
            raise CronError(f"{name} {text!r}: {unexpected[0]!r} is not a wildcard of this field")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise CronError("needs '?' in exactly one of day-of-month and day-of-week")
    return Cron(
        minutes=_plain("minutes", minutes),
        hours=_plain("hours", hours),
        day_of_month=_day_of_month(dom),
        months=_plain("month", month),
        day_of_week=_day_of_week(dow),
        years=_plain("year", year),
    )


def next_fire(cron: Cron, after: datetime) -> datetime | None:
    """The first time at or after ``after`` (UTC) that ``cron`` fires, or None if it never does."""
    after = after.astimezone(timezone.utc).replace(second=0, microsecond=0, tzinfo=None)
    times = sorted((hour, minute) for hour in cron.hours for minute in cron.minutes)
    for year in sorted(y for y in cron.years if y >= after.year):
        for month in sorted(cron.months):
            if (year, month) < (after.year, after.month):
                continue
            for day in range(1, calendar.monthrange(year, month)[1] + 1):
                today = date(year, month, day)
                if today < after.date() or not cron.fires_on(today):
                    continue
                for hour, minute in times:
                    moment = datetime(year, month, day, hour, minute)
                    if moment >= after:
                        return moment.replace(tzinfo=timezone.utc)
    return None


# -- fields ------------------------------------------------------------------------------------


def _number(name: str, text: str) -> int:
    low, high, names = _RANGES[name]
    upper = text.upper()
    if upper in names:
        return names.index(upper) + 1
    if not text.isdigit():
        raise CronError(f"{name} {text!r} is not a number{' or name' if names else ''}")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name} {value} is outside {low}-{high}")
    return value


def _plain(name: str, text: str) -> frozenset[int]:
    """A list of values, ranges (wrapping), ``*`` and increments."""
    low, high, _ = _RANGES[name]
    values: set[int] = set()
    for element in text.split(","):
        if not element:
            raise CronError(f"{name} {text!r} has an empty list element")
        base, slash, step_text = element.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not 1 <= int(step_text) <= high - low + 1:
                raise CronError(f"{name} {element!r}: the increment must be 1-{high - low + 1}")
            step = int(step_text)
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, stop = _number(name, first), _number(name, last)
        else:
            start = _number(name, base)
            stop = high if slash else start
        values |= set(_walk(start, stop, step, low, high))
    return frozenset(values)


def _walk(start: int, stop: int, step: int, low: int, high: int) -> list[int]:
    span = high - low + 1
    length = (stop - start) % span  # a wrapping range (22-2) goes round once
    return [low + (start - low + offset) % span for offset in range(0, length + 1, step)]


def _day_of_month(text: str) -> DaySpec:
    if text == "?":
        return DaySpec(any=True)
    special = re.fullmatch(r"L(?:-(\d{1,2}))?|LW|(\d{1,2})W", text)
    if special:
        if text == "LW":
            return DaySpec(nearest_weekday=0)
        if text.endswith("W"):
            return DaySpec(nearest_weekday=_number("day-of-month", special.group(2)))
        offset = int(special.group(1) or 0)
        if offset > 30:
            raise CronError(f"day-of-month {text!r}: at most 30 days before the last")
        return DaySpec(last=True, last_offset=offset)
    if any(c in text for c in "LW?"):
        raise CronError(f"day-of-month {text!r}: L, W and ? stand alone in the field")
    return DaySpec(values=_plain("day-of-month", text))


def _day_of_week(text: str) -> DaySpec:
    if text == "?":
        return DaySpec(any=True)
    if text == "L":
        return DaySpec(values=frozenset({7}))  # the last day of the week: Saturday
    last = re.fullmatch(r"([0-9A-Za-z]+)L", text)
    if last:
        return DaySpec(last_weekday_of_month=_number("day-of-week", last.group(1)))
    if "#" in text:
        nth = re.fullmatch(r"([0-9A-Za-z]+)#(\d)", text)
        if nth is None:
            raise CronError(f"day-of-week {text!r}: '#' takes one day#n, alone in the field")
        if not 1 <= int(nth.group(2)) <= 5:
            raise CronError(f"day-of-week {text!r}: a month has at most five of a weekday")
        return DaySpec(nth=(_number("day-of-week", nth.group(1)), int(nth.group(2))))
    if any(c in text for c in "L?"):
        raise CronError(f"day-of-week {text!r}: L and ? stand alone in the field")
    return DaySpec(values=_plain("day-of-week", text))


# -- matching a date ----------------------------------------------------------------------------


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday is 2, Sunday 1


def _month_day_matches(spec: DaySpec, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if spec.last:
        return day.day == last - spec.last_offset
    if spec.nearest_weekday is not None:
        return day == _nearest_weekday(day.year, day.month, spec.nearest_weekday or last)
    return day.day in spec.values


def _nearest_weekday(year: int, month: int, wanted: int) -> date | None:
    """``nW``: the weekday nearest day n, within the month (Quartz's rule); None if n is past it."""
    last = calendar.monthrange(year, month)[1]
    if wanted > last:
        return None
    target = date(year, month, wanted)
    if target.weekday() == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return target - timedelta(days=1) if wanted > 1 else target + timedelta(days=2)
    if target.weekday() == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return target + timedelta(days=1) if wanted < last else target - timedelta(days=2)
    return target


def _weekday_matches(spec: DaySpec, day: date) -> bool:
    weekday = _aws_weekday(day)
    if spec.last_weekday_of_month is not None:
        last = calendar.monthrange(day.year, day.month)[1]
        return weekday == spec.last_weekday_of_month and day.day + 7 > last
    if spec.nth is not None:
        wanted, nth = spec.nth
        return weekday == wanted and (day.day - 1) // 7 + 1 == nth
    return weekday in spec.values
