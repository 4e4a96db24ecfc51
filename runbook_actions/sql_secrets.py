"""Mask the passwords in MySQL 8 / Aurora MySQL 3 statements, as log lines carry them.

Every place the MySQL 8.0 reference (ALTER USER, CREATE USER, SET PASSWORD, CHANGE REPLICATION
SOURCE TO / CHANGE MASTER TO, START REPLICA, START GROUP_REPLICATION, CREATE SERVER) and the
RDS replication procedures put a cleartext password or a password hash:

- ``IDENTIFIED BY 'x'``, ``IDENTIFIED WITH plugin BY 'x'``, ``IDENTIFIED WITH plugin AS 'hash'``
  (also in ``ADD|MODIFY n FACTOR`` and ``INITIAL AUTHENTICATION``), the 5.7
  ``IDENTIFIED BY PASSWORD 'hash'``, and an unquoted word there (a typo is still a password);
- ``REPLACE 'current'`` (after ``IDENTIFIED BY``, ``RANDOM PASSWORD``, ``SET PASSWORD``: nowhere
  else does a string literal follow the word REPLACE);
- ``SET PASSWORD [FOR user] = 'x'``, ``PASSWORD('x')``, ``OLD_PASSWORD('x')``;
- ``SOURCE_PASSWORD = 'x'``, ``MASTER_PASSWORD = 'x'``, ``PASSWORD = 'x'`` (START REPLICA,
  START GROUP_REPLICATION), ``OPTIONS (PASSWORD 'x')`` (CREATE SERVER);
- the fourth argument of ``CALL mysql.rds_set_external_master|source...(host, port, user,
  'password', ...)``.

Strings are quoted with ' or " (doubled quotes and backslash escapes inside, adjacent strings
concatenated); keywords in any case, with any whitespace or /* comments */ between them; a
string cut off by the audit log's query length limit is masked to its end. ``TO RANDOM``,
``RANDOM PASSWORD`` and ``RETAIN CURRENT PASSWORD`` carry no secret and are kept.

Aurora's audit records hold the statement as a single-quoted field in which ' is written \\'
and \\ is written \\\\: such a field is decoded first, so the statement is read as MySQL read it,
and only the characters of each secret are replaced in the line. Everything else is kept as is.
"""
from __future__ import annotations

import re

MASK = "***"

_GAP = r"(?:\s|/\*.*?\*/)"  # whitespace or a comment, between two tokens
_STRING = r"""(?:'(?:[^'\\]|\\.|\\\Z|'')*+(?:'|\Z)|"(?:[^"\\]|\\.|\\\Z|"")*+(?:"|\Z))"""
_STRINGS = rf"{_STRING}(?:{_GAP}*{_STRING})*"  # MySQL joins adjacent strings: 'pa' 'ss'
# An unquoted value (a syntax error that still reaches the log); never a keyword or a call.
_WORD = r"""(?!(?:RANDOM|PASSWORD|OLD_PASSWORD)\b)[^\s'"`\\,;()]++(?!\s*\()"""
_PLUGIN = rf"""(?:{_STRING}|`[^`]*`|[^\s'"`]+)"""
_ARGUMENT = rf"""(?:{_STRING}|[^,()'"]*+)"""

_FLAGS = re.IGNORECASE | re.DOTALL | re.VERBOSE
_SECRETS = tuple(re.compile(pattern, _FLAGS) for pattern in (
    rf"""\b IDENTIFIED {_GAP}+ (?: WITH {_GAP}+ {_PLUGIN} {_GAP}+ )? (?: BY | AS ) \b {_GAP}*
         (?: PASSWORD \b {_GAP}* )? (?P<value> {_STRINGS} | (?<=\s) {_WORD} )""",
    rf"""\b REPLACE \b {_GAP}* (?P<value> {_STRINGS} )""",
    rf"""\b SET {_GAP}+ PASSWORD {_GAP}+ FOR \b .{{0,400}}? = {_GAP}* (?P<value> {_STRINGS} | {_WORD} )""",
    rf"""(?<!\w) \w*? PASSWORD {_GAP}* = {_GAP}* (?P<value> {_STRINGS} | {_WORD} )""",
    rf"""(?<!\w) \w*? PASSWORD {_GAP}* \( {_GAP}* (?P<value> {_STRINGS} )""",
    rf"""(?<!\w) PASSWORD {_GAP}* (?P<value> {_STRINGS} )""",
    rf"""\b rds_set_external_(?:master|source)\w* {_GAP}* \( (?: {_GAP}* {_ARGUMENT} {_GAP}* , ){{3}}
         {_GAP}* (?P<value> {_STRINGS} | {_WORD} )""",
))
_ONE_STRING = re.compile(_STRING, re.DOTALL)
# Inside an audit record's quoted field: \n, \r, \t stand for those characters, \x for x.
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t"}

Span = tuple[int, int]


def mask_passwords(line: str) -> str:
    """``line`` with the characters of every password replaced by ``***``."""
    spans: list[Span] = []
    outside = 0
    for start, end in _quoted_audit_fields(line):
        spans += _secret_spans(line, outside, start)
        statement, starts, ends = _decode(line, start, end)
        spans += [(starts[a], ends[b - 1]) for a, b in _secret_spans(statement, 0, len(statement))]
        outside = end
    spans += _secret_spans(line, outside, len(line))
    return _replace(line, spans)


def _secret_spans(text: str, start: int, end: int) -> list[Span]:
    """Where the secrets of the statement in ``text[start:end]`` are (quotes excluded)."""
    found: list[Span] = []
    for pattern in _SECRETS:
        for match in pattern.finditer(text, start, end):
            a, b = match.span("value")
            strings = list(_ONE_STRING.finditer(text, a, b))
            if not strings:  # an unquoted word
                found.append((a, b))
            for string in strings:
                closed = string.end() - string.start() > 1 and text[string.end() - 1] == string[0][0]
                found.append((string.start() + 1, string.end() - (1 if closed else 0)))
    return [span for span in found if span[0] < span[1]]


def _quoted_audit_fields(line: str) -> list[Span]:
    """The insides of the single-quoted fields of an Aurora audit record (its object, the
    statement), or none when the line is not one: ``<digits>,...``."""
    if not re.match(r"\d+,", line):
        return []
    fields, i = [], 0
    while i < len(line):
        if line[i] == "'" and (i == 0 or line[i - 1] == ","):
            j = i + 1
            while j < len(line) and line[j] != "'":
                j += 2 if line[j] == "\\" else 1
            fields.append((i + 1, min(j, len(line))))
            i = j + 1
        else:
            i += 1
    return fields


def _decode(line: str, start: int, end: int) -> tuple[str, list[int], list[int]]:
    """The text of a quoted audit field, and where each of its characters starts and ends in
    ``line``."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = start
    while i < end:
        width = 2 if line[i] == "\\" and i + 1 < end else 1
        chars.append(_UNESCAPE.get(line[i + 1], line[i + 1]) if width == 2 else line[i])
        starts.append(i)
        ends.append(i + width)
        i += width
    return "".join(chars), starts, ends


def _replace(line: str, spans: list[Span]) -> str:
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, last = [], 0
    for a, b in merged:
        out += [line[last:a], MASK]
        last = b
    return "".join(out + [line[last:]])
