"""The guide's P0 and P1 communication templates, rendered exactly, within SNS's limits.

The guide (Slack / WhatsApp)::

    🚨 P0 INCIDENT — [SHORT DESCRIPTION]
    Status: INVESTIGATING / MITIGATING / RESOLVED
    Started: [TIME UTC]
    Impact: [What is broken, how many users affected]
    Current action: [What we're doing right now]
    Next update: [in X minutes]
    CC: @everyone

P1 is the same with ``⚠️ P1`` and ``CC: @tech-lead @on-call``. The guide has no template for
P2 (on-call only, no team post) or P3 (a GitHub issue), so those are refused, not invented.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from .exceptions import InvalidArgumentError

STATUSES = ("INVESTIGATING", "MITIGATING", "RESOLVED")
RESOLVED = "RESOLVED"
TEMPLATES = {"P0": ("🚨", "@everyone"), "P1": ("⚠️", "@tech-lead @on-call")}
MAX_TITLE = 80  # the guide's "short description"; also keeps the subject under 100
MAX_FIELD = 500  # impact and current action: a sentence or two, read on a phone
MAX_SUBJECT = 99  # SNS: "less than 100 characters"
MAX_MESSAGE_BYTES = 262_144  # SNS: 256 KB, message and attributes together
# Characters a field may not hold, by Unicode category. Zl/Zp and Cc cover every separator
# str.splitlines() breaks lines at (\n, \r, \v, \f, \x1c-\x1e, U+0085, U+2028,
# U+2029): one of them in a title could add a fake "Status: RESOLVED" line to a P0 page. Cf are
# invisible format characters: bidi overrides (U+202E, U+2066...) make a field display as other
# text than it is, and zero-width ones (U+200B, U+FEFF, tags) hide text and split a credential so
# the checks below miss it. Refusing all of Cf also refuses the zero-width joiner of some emoji
# sequences; the error names the code point, so the responder can retype. Cs: lone surrogates
# (possible in a Lambda event's JSON) cannot be encoded for SNS.
_NOT_IN_ONE_LINE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# High-confidence credential shapes only: a false alarm here would block a status post mid-incident.
_CREDENTIALS = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a Razorpay key": re.compile(r"\brzp_(live|test)_[A-Za-z0-9]{8,}"),
}


@dataclass(frozen=True)
class StatusPost:
    subject: str
    message: str
    attributes: dict[str, str]


def template_for(severity: str) -> tuple[str, str]:
    """The (emoji, CC line) of ``severity``'s template; P2/P3 have none in the guide."""
    if severity not in TEMPLATES:
        raise InvalidArgumentError(
            f"--severity: {severity} has no communication template in the guide (P2 alerts "
            "on-call only, P3 is a GitHub issue); post-status covers P0 and P1"
        )
    return TEMPLATES[severity]


def check_field(flag: str, text: str, limit: int) -> str:
    """One line of at most ``limit`` characters with no credential in it."""
    if len(text) > limit:
        raise InvalidArgumentError(f"{flag}: {len(text)} characters, at most {limit}")
    for character in text:
        if unicodedata.category(character) in _NOT_IN_ONE_LINE:
            raise InvalidArgumentError(
                f"{flag}: must be one line (U+{ord(character):04X} is a line break, control or "
                "invisible formatting character)"
            )
    for what, pattern in _CREDENTIALS.items():
        if pattern.search(text):
            raise InvalidArgumentError(f"{flag}: looks like it contains {what}; never post secrets")
    return text.strip()


def render_status(
    *,
    severity: str,
    status: str,
    title: str,
    started: datetime,
    impact: str,
    current_action: str,
    next_update: str,
    incident_id: str,
) -> StatusPost:
    """The post; ``next_update`` is ``next_update_text(...)``'s wording."""
    emoji, cc = template_for(severity)
    lines = [
        f"{emoji} {severity} INCIDENT — {title}",
        f"Status: {status}",
        f"Started: {started.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"Impact: {impact}",
        f"Current action: {current_action}",
        f"Next update: {next_update}",
        f"CC: {cc}",
    ]
    post = StatusPost(
        subject=_subject(severity, status, title),
        message="\n".join(lines),
        attributes={"incident_id": incident_id, "status": status, "severity": severity},
    )
    check_size(post)
    return post


def check_size(post: StatusPost) -> None:
    size = len(post.message.encode()) + sum(
        len(k.encode()) + len("String") + len(v.encode()) for k, v in post.attributes.items()
    )
    if size > MAX_MESSAGE_BYTES:
        raise InvalidArgumentError(f"status message is {size} bytes, SNS allows {MAX_MESSAGE_BYTES}")


def next_update_text(status: str, minutes: int | None) -> str:
    """``in 15 minutes``; a status that is not RESOLVED must promise a next update."""
    if minutes is None:
        if status != RESOLVED:
            raise InvalidArgumentError(f"--next-update-minutes is required while {status}")
        return "none (resolved)"
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def _subject(severity: str, status: str, title: str) -> str:
    # Email clients show the subject; keep it ASCII so every endpoint renders it the same.
    subject = f"{severity} INCIDENT - {status}: {title}".encode("ascii", "replace").decode()
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 3] + "..."
