"""Helpers shared by the read-only investigation actions: look-back windows and ranked counts."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from .exceptions import InvalidArgumentError

_DURATION = re.compile(r"(?P<amount>\d{1,6})\s*(?P<unit>[mhd])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
# CloudTrail event history keeps 90 days; looking further back could only find nothing.
MAX_LOOKBACK = timedelta(days=90)


def parse_since(text: str, flag: str = "--since", maximum: timedelta = MAX_LOOKBACK) -> timedelta:
    """``"30m"``, ``"24h"`` or ``"7d"`` as a timedelta between one minute and ``maximum``."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise InvalidArgumentError(f"{flag}: {text!r} is not a duration like 30m, 24h or 7d")
    window = int(match["amount"]) * _UNITS[match["unit"]]
    if window < timedelta(minutes=1):
        raise InvalidArgumentError(f"{flag}: {text!r} is shorter than one minute")
    if window > maximum:
        raise InvalidArgumentError(f"{flag}: {text!r} is longer than the maximum {maximum.days}d")
    return window


def window_ending_now(since: timedelta) -> tuple[datetime, datetime]:
    end = datetime.now(timezone.utc)
    return end - since, end


def to_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ranked_counts(values: Iterable[Any], limit: int = 20) -> dict[str, int]:
    """Counts of each value, most frequent first (ties by name), keeping the ``limit`` largest.

    ``None`` is counted as "unknown" so that missing fields still show up in the totals.
    """
    counts = Counter("unknown" if value is None else str(value) for value in values)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return dict(ranked[:limit])
