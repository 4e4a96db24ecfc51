"""Invalid values for every declared action parameter, built from its Param declaration.

For a parameter's kind and constraints (pattern, choices, range) the strategies produce values
that break them: wrong types, empty and blank text, text over the 1024-character limit, numbers
out of range, malformed names and ARNs, look-back windows and times that cannot be parsed or are
out of range. A value is only generated where the declaration (or the guide's rule the action
documents) says it is invalid; the properties then check how it is refused.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from runbook_actions.params import Param

MAX_TEXT = 1024
# Fixed examples (derandomize) and no example database: the same cases on every machine and CI.
PROPERTY_SETTINGS = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
# A command line cannot carry NUL; everything else may reach argparse.
CLI_TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=40)
ANY_TEXT = st.text(max_size=40)
DURATION = re.compile(r"\d{1,6}\s*[mhd]")

blank = st.sampled_from(["", " ", "\t", "   \n "])
huge = st.integers(MAX_TEXT + 1, 4 * MAX_TEXT).map(lambda n: "x" * n)


def _not_matching(pattern: str, text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return text.filter(lambda t: t.strip() != "" and not re.fullmatch(pattern, t))


def _malformed_arns(pattern: str) -> st.SearchStrategy[str]:
    parts = (
        st.sampled_from(["sns", "sqs", "", "SNS"]),
        st.sampled_from(["ap-south-1", "", "AP"]),
        st.sampled_from(["123456789012", "1234", "", "abcdefghijkl"]),
        st.sampled_from(["t", "", "a b", "x/y"]),
    )
    arns = st.tuples(*parts).map(lambda p: f"arn:aws:{p[0]}:{p[1]}:{p[2]}:{p[3]}")
    return arns.filter(lambda arn: not re.fullmatch(pattern, arn))


def _bad_durations(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Look-back windows: unparseable, zero, or beyond the 90 days CloudTrail keeps."""
    unparseable = text.filter(lambda t: t.strip() != "" and not DURATION.fullmatch(t.strip().lower()))
    too_long = st.one_of(
        st.integers(91, 999_999).map(lambda n: f"{n}d"),
        st.integers(90 * 24 + 1, 999_999).map(lambda n: f"{n}h"),
        st.integers(90 * 24 * 60 + 1, 999_999).map(lambda n: f"{n}m"),
    )
    return st.one_of(unparseable, st.sampled_from(["0m", "0h", "0d"]), too_long)


def _bad_times(text: st.SearchStrategy[str], future_is_bad: bool) -> st.SearchStrategy[str]:
    """ISO-8601 times that cannot be parsed, that name no timezone, or (where the action says
    so) that lie in the future."""

    def unparseable(t: str) -> bool:
        try:
            datetime.fromisoformat(t.strip().replace("Z", "+00:00"))
        except ValueError:
            return t.strip() != ""
        return False

    naive = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.isoformat()
    )
    options = [text.filter(unparseable), naive]
    if future_is_bad:
        options.append(
            st.integers(10, 10**6).map(
                lambda minutes: (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()
            )
        )
    return st.one_of(*options)


# Parameters whose text the action parses itself (the declaration has no pattern for them).
SEMANTIC = {
    "since": lambda text: _bad_durations(text),
    "restore_time": lambda text: _bad_times(text, future_is_bad=False),
    "started": lambda text: _bad_times(text, future_is_bad=True),
}
# Free text with a limit below the general one (post-status: the guide's short fields).
LENGTH_LIMITS = {"title": 80, "impact": 500, "current_action": 500}


def wrong_types(kind: type) -> st.SearchStrategy[Any]:
    """JSON values of another type than ``kind`` (a Lambda event can carry any of them)."""
    scalars = {
        str: st.text(max_size=10),
        int: st.integers(-(10**6), 10**6),
        bool: st.booleans(),
        float: st.floats(allow_nan=False, allow_infinity=False),
    }
    others = [
        strategy
        for python_type, strategy in scalars.items()
        if python_type is not kind and not (kind is int and python_type is str)
    ]  # "5" is a valid int on purpose
    if kind is int:
        others.append(st.text(string.ascii_letters, min_size=1, max_size=10))
    if kind is bool:  # "true"/"false" are accepted as text
        others = [
            s.filter(lambda v: not (isinstance(v, str) and v.lower() in ("true", "false"))) for s in others
        ]
    return st.one_of(
        *others,
        st.lists(st.integers(), min_size=1, max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), min_size=1, max_size=2),
    )


def invalid_values(param: Param, *, cli: bool) -> st.SearchStrategy[Any]:
    """Values of ``param`` that must be refused as bad input."""
    text = CLI_TEXT if cli else ANY_TEXT
    options: list[st.SearchStrategy[Any]] = []
    if param.kind is int:
        options.append(text.filter(lambda t: not re.fullmatch(r"[+-]?\d{1,12}", t.strip())))
        if param.minimum is not None:
            options.append(st.integers(param.minimum - 10**6, param.minimum - 1))
        if param.maximum is not None:
            options.append(st.integers(param.maximum + 1, param.maximum + 10**6))
    elif param.kind is str:
        options += [blank, huge]
        if param.choices:
            options.append(text.filter(lambda t: t.strip() != "" and t not in param.choices))
        if param.pattern:
            options.append(_not_matching(param.pattern, text))
            if param.pattern.startswith("arn:"):
                options.append(_malformed_arns(param.pattern))
        if param.name in SEMANTIC:
            options.append(SEMANTIC[param.name](text))
        if param.name in LENGTH_LIMITS:
            options.append(st.integers(LENGTH_LIMITS[param.name] + 1, MAX_TEXT).map(lambda n: "y" * n))
    if not cli:
        options.append(wrong_types(param.kind))
    return st.one_of(*options)


def names_the_value(message: str, flag: str, value: Any) -> bool:
    """The one-line error names the parameter and the value (or, for values that cannot be
    shown usefully, their length or the rule they break)."""
    if flag not in message:
        return False
    if isinstance(value, list):  # a list parameter names the item it refuses
        return any(names_the_value(message, flag, item) for item in value)
    shown = repr(value)
    if isinstance(value, str):
        if not value.strip():
            return "must not be empty" in message or shown in message
        if len(value) > 60 and f"{len(value)} characters" in message:
            return True
        if "must be one line" in message:
            return True
    return shown[:20] in message or str(value)[:20] in message


def cli_arguments(arguments: dict[str, Any], params: tuple[Param, ...]) -> list[str]:
    """``--flag=value`` for each argument (``=`` so a value starting with '-' stays a value)."""
    by_name = {p.name: p for p in params}
    argv: list[str] = []
    for name, value in arguments.items():
        flag = by_name[name].flag
        if isinstance(value, bool):
            argv += [flag] if value else []
        elif isinstance(value, list):
            argv += [f"{flag}={item}" for item in value[:1]]
        else:
            argv.append(f"{flag}={value}")
    return argv
