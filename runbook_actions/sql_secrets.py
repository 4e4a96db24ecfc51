"""Mask the passwords in MySQL 8 / Aurora MySQL 3 statements, as log lines carry them.

The statement is read with MySQL's own lexical rules, not matched as text: string literals
(' or ", doubled quotes and backslash escapes inside, a ``_charset`` introducer or ``N`` before,
cut off by the audit log's query length limit), hex and bit literals (``X'..'``, ``0x..``,
``B'..'``), backtick identifiers, and every comment MySQL skips (``/* */``, ``#`` and ``-- `` to
the end of the line; the content of a versioned ``/*! */`` comment is read as SQL). Keywords are
then looked for in the tokens, so no spelling, spacing or comment between them hides a value.

Three rules, the second a safety net for every syntax the first does not name, the third
for what a typo leaves of both:

1. **Value positions** are masked whatever their form, quoted or not (a typo is still a
   password): after ``IDENTIFIED [WITH plugin] BY|AS [PASSWORD]`` (not ``RANDOM``), after
   ``PASSWORD``/``*_PASSWORD`` (``SOURCE_PASSWORD``, ``MASTER_PASSWORD``, ``OLD_PASSWORD``)
   followed by ``=``, ``(`` or a literal, after ``SET PASSWORD FOR account =``, and the fourth
   argument of ``CALL mysql.rds_set_external_master|source[_with_auto_position|_with_delay]
   [_for_channel](host, port, user, password, ...)`` (arguments split by the call's own
   parentheses and commas, so a function call as an earlier argument does not shift them).
2. **Every literal of a statement that carries a password keyword anywhere** (``IDENTIFIED``,
   ``PASSWORD``, ``*_PASSWORD``, ``authentication_string``, the RDS replication and
   SSL-material procedures, ``AES_ENCRYPT``/``AES_DECRYPT``, ``keyring_key_store``) is masked,
   except the ones whose role is known to be no secret: account names (``'app'@'%'``, the user
   after ``USER``, ``FOR``, ``TO``, before ``IDENTIFIED``), the plugin after ``IDENTIFIED
   WITH``, the values of ``*_HOST``, ``*_USER``, ``*_LOG_FILE``, TLS file/cipher options,
   ``CHANNEL``, ``HOST``, ``DATABASE``, ``SOCKET``, ``OWNER``, ``DIRECTORY``, and the host, user
   and log file arguments of the RDS procedures above. Enumerating where a secret may sit
   misses the next syntax (an introducer, a hex literal, a column named ``password``,
   ``REPLACE 'current'``); enumerating what is safe to show fails safe, and keeps the
   keywords, users and hosts a responder needs.

3. **Password statements, by how they start, misspelt too** (MySQL refuses the statement, the
   audit log keeps it): a statement whose first words are, or are one or two typos away from,
   ``ALTER USER``, ``CREATE USER``, ``SET PASSWORD``, ``GRANT``, ``CHANGE MASTER`` or ``CHANGE
   REPLICATION`` is read as one by rule 2 whatever keywords follow (``IDENTIFED BY 'x'``,
   ``IDENTIFIEDBY 'x'``, ``MASTER_PASWORD='x'``); a misspelt ``IDENTIFIED`` before ``BY`` still
   marks a value position of rule 1 (quoted or not). In any statement that names a user or a
   password (a word containing USER, PASS, PWD or IDENT), the literal after ``BY`` or ``TO`` is a
   value unless it is an account name: followed by ``@`` or ``IDENTIFIED``, or the grantee of
   ``GRANT ... TO`` / the new name of ``RENAME USER ... TO``. ``SET PASSWORD ... TO 'x'`` is no
   account name: ``TO`` names one only in GRANT and RENAME. A literal right after an account
   name is part of it only when the run of adjacent strings ends at ``@`` (``'ap' 'p'@'%'``), so
   ``SET PASSWORD FOR 'app' 'x'`` masks the ``'x'``.

A string literal holding a statement (``PREPARE s FROM '...'``, ``SET @s = CONCAT(...)``) is
read as SQL in turn, and its secrets masked in place; a literal of free text naming a password
keyword (a password hint) is masked whole, as is a hex literal that decodes to one. The words
inside a comment of such a statement are read the same way, so a literal there is masked too.

Aurora's audit records hold the statement as a single-quoted field in which ' is written \\'
and \\ is written \\\\: such a field is decoded first, so the statement is read as MySQL read it,
and only the characters of each secret are replaced in the line. Everything else is kept as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MASK = "***"
_MAX_DEPTH = 4  # statements in literals in statements ...: deeper literals are masked whole

Span = tuple[int, int]

_TOKEN = re.compile(
    r"""
      (?P<space> \s+ )
    | (?P<vopen> /\*!\d* )                       # versioned comment: its content is SQL
    | (?P<comment> /\*.*?(?:\*/|\Z) | \#[^\n]* | --(?=[\s\x00-\x1f]|\Z)[^\n]* )
    | (?P<vclose> \*/ )
    | (?P<string> (?P<prefix>[NnXxBb]?) (?P<quote>['"]) )
    | (?P<number> 0[xX](?P<hex>[0-9A-Fa-f]+)(?![\w$]) | 0[bB][01]+(?![\w$]) )
    | (?P<ident> `(?:[^`]|``)*+(?:`|\Z) )
    | (?P<word> [\w$]+ )
    | (?P<punct> . )
    """,
    re.VERBOSE | re.DOTALL,
)
_BODY = {
    quote: re.compile(rf"(?:[^{quote}\\]|\\.|\\\Z|{quote}{quote})*+(?:(?P<close>{quote})|\Z)", re.DOTALL)
    for quote in "'\""
}
_UNESCAPE = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_UNQUOTED = re.compile(r"""[^\s'"`\\,;()]+""")

_PASSWORD_WORD = re.compile(r"(?:\w+_)?PASSWORD|AUTHENTICATION_STRING")
_TRIGGER = re.compile(
    r"IDENTIFIED|(?:\w+_)?PASSWORD|AUTHENTICATION_STRING|VALIDATE_PASSWORD_STRENGTH"
    r"|RDS_SET_EXTERNAL_\w*"
    r"|RDS_SET_SOURCE\w*|RDS_IMPORT_BINLOG_SSL_MATERIAL|AES_ENCRYPT|AES_DECRYPT"
    r"|KEYRING_KEY_STORE"
)
# (host, port, user, password, ...): the arguments kept are the host, the user and the log file.
_RDS_POSITIONAL = re.compile(
    r"RDS_SET_EXTERNAL_(?:MASTER|SOURCE)(?:_WITH_AUTO_POSITION|_WITH_DELAY)?"
    r"(?:_FOR_CHANNEL)?"
)
_RDS_PASSWORD_ARGUMENT, _RDS_KEPT_ARGUMENTS = 3, (0, 2, 4)
_KEPT_OPTION = re.compile(
    r"(?:\w+_)?(?:HOST|USER|LOG_FILE|SSL_CA|SSL_CAPATH|SSL_CERT|SSL_CRL"
    r"|SSL_CRLPATH|SSL_KEY|SSL_CIPHER|TLS_VERSION|TLS_CIPHERSUITES"
    r"|PUBLIC_KEY_PATH|COMPRESSION_ALGORITHMS|NETWORK_NAMESPACE)"
    r"|DATABASE|SOCKET|OWNER|CHANNEL|DEFAULT_AUTH|PLUGIN_DIR|DIRECTORY"
)
_ACCOUNT_BEFORE = frozenset({"USER", "FOR", "EXISTS"})
# Rule 3: the first word of a password statement, and the second words that make it one (None:
# the first alone does). Matched within a typo or two (_near), so ALTR USR is ALTER USER.
_PASSWORD_STATEMENTS: dict[str, tuple[str, ...] | None] = {
    "ALTER": ("USER",),
    "CREATE": ("USER",),
    "SET": ("PASSWORD", "PASSWD"),
    "GRANT": None,
    "CHANGE": ("MASTER", "REPLICATION"),
}
# Words that name a user or a password, for the BY/TO value rule (rule 3).
_NAMES_USER_OR_PASSWORD = re.compile(r"USER|PASS|PASW|PWD|IDENT")
# Statements in which TO names an account: GRANT ... TO grantee, RENAME USER a TO b.
_TO_NAMES_AN_ACCOUNT = frozenset({"GRANT", "RENAME"})
_STATEMENT_WORDS = frozenset(
    {
        "ALTER",
        "CREATE",
        "SET",
        "GRANT",
        "REVOKE",
        "CHANGE",
        "START",
        "STOP",
        "RESET",
        "CALL",
        "SELECT",
        "INSERT",
        "UPDATE",
        "REPLACE",
        "DELETE",
        "CLONE",
        "PREPARE",
        "EXECUTE",
        "DO",
        "INSTALL",
        "DROP",
        "RENAME",
        "WITH",
        "VALUES",
        "TABLE",
        "SHOW",
        "FLUSH",
        "LOAD",
        "USE",
    }
)


@dataclass
class _Token:
    kind: str  # string, number, ident, word, punct, comment
    start: int
    end: int
    text: str  # words and identifiers in upper case, without backticks
    content: Span = (0, 0)  # literals: what is between the quotes (after 0x for numbers)
    hex_digits: str | None = None  # X'..' and 0x.. literals


@dataclass
class _View:
    """Text, and where each of its characters starts and ends in the logged line."""

    text: str
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, line: str, start: int, end: int) -> "_View":
        return cls(line[start:end], list(range(start, end)), list(range(start + 1, end + 1)))

    def span(self, a: int, b: int) -> Span:
        return self.starts[a], self.ends[b - 1]

    def part(self, a: int, b: int, decode_quote: str | None = None) -> "_View":
        """``text[a:b]`` as a view; with ``decode_quote``, decoded as a literal's content."""
        if decode_quote is None:
            return _View(self.text[a:b], self.starts[a:b], self.ends[a:b])
        chars, starts, ends = [], [], []
        i = a
        while i < b:
            width = (
                2
                if i + 1 < b and (self.text[i] == "\\" or self.text[i] == decode_quote == self.text[i + 1])
                else 1
            )
            char = (
                self.text[i]
                if width == 1 or self.text[i] != "\\"
                else _UNESCAPE.get(self.text[i + 1], self.text[i + 1])
            )
            chars.append(char)
            starts.append(self.starts[i])
            ends.append(self.ends[i + width - 1])
            i += width
        return _View("".join(chars), starts, ends)


def mask_passwords(line: str) -> str:
    """``line`` with the characters of every password replaced by ``***``."""
    spans: list[Span] = []
    outside = 0
    for start, end in _quoted_audit_fields(line):
        spans += _masked(_View.of(line, outside, start), 0)[0]
        spans += _masked(_View.of(line, start, end).part(0, end - start, decode_quote="'"), 0)[0]
        outside = end
    spans += _masked(_View.of(line, outside, len(line)), 0)[0]
    return _replace(line, spans)


def _masked(view: _View, depth: int, force: bool = False) -> tuple[list[Span], bool, str | None]:
    """The spans to mask in ``view`` (line positions), whether it carries a secret, and its
    first word. ``force``: treat every statement as carrying one (a comment of one that does)."""
    tokens = _tokens(view.text)
    spans: list[Span] = []
    bearing = False
    statement: list[_Token] = []
    for token in tokens + [_Token("punct", len(view.text), len(view.text), ";")]:
        if token.kind == "punct" and token.text == ";":
            found, carries = _statement(view, statement, depth, force)
            spans += found
            bearing = bearing or carries
            statement = []
        else:
            statement.append(token)
    first = next((t.text for t in tokens if t.kind in ("word", "ident")), None)
    return spans, bearing, first


def _statement(view: _View, tokens: list[_Token], depth: int, force: bool) -> tuple[list[Span], bool]:
    comments = [t for t in tokens if t.kind == "comment"]
    sig = _without_introducers([t for t in tokens if t.kind != "comment"])
    literals = [i for i, t in enumerate(sig) if t.kind in ("string", "number")]
    inner: dict[int, tuple[list[Span], bool, bool]] = {}  # spans, carries a secret, is a statement
    for i in literals:
        inner[i] = _inside(view, sig[i], depth)
    bearing = (
        force
        or any(_TRIGGER.fullmatch(t.text) for t in sig if t.kind in ("word", "ident"))
        or any(carries for _, carries, _ in inner.values())
        or _password_statement(sig)
    )
    spans: list[Span] = []
    values, runs, kept = _roles(view, sig)
    if bearing:
        spans += runs
        for i in literals:
            found, carries, is_statement = inner[i]
            if carries and is_statement and i not in values:
                spans += found  # a statement in a literal: its own secrets, keywords kept
            elif i in values or i not in kept:
                spans.append(_content(view, sig[i]))
    else:
        by_or_to = _by_or_to_values(sig, kept)
        spans += [_content(view, sig[i]) for i in by_or_to]
        bearing = bool(by_or_to)
    for comment in comments:  # read as SQL: a literal in a comment is masked like any other
        text = view.text[comment.start : comment.end]
        skip = 2 if text[:2] in ("/*", "--") else 1
        stop = comment.end - 2 if text.endswith("*/") and len(text) >= 4 else comment.end
        if depth < _MAX_DEPTH and (bearing or _TRIGGER_TEXT.search(text)):
            spans += _masked(view.part(comment.start + skip, stop), depth + 1, force=bearing)[0]
    return [s for s in spans if s[0] < s[1]], bearing


_TRIGGER_TEXT = re.compile(r"IDENTIFIED|PASSWORD|AUTHENTICATION|RDS_|AES_|KEYRING", re.IGNORECASE)


def _password_statement(sig: list[_Token]) -> bool:
    """Rule 3: the statement starts as a password statement does, within a typo or two."""
    words = [t.text if t.kind in ("word", "ident") else None for t in sig[:2]]
    first = next((key for key in _PASSWORD_STATEMENTS if words and words[0] and _near(words[0], key)), None)
    if first is None:
        return False
    seconds = _PASSWORD_STATEMENTS[first]
    return seconds is None or (
        len(words) > 1 and words[1] is not None and any(_near(words[1], second) for second in seconds)
    )


def _by_or_to_values(sig: list[_Token], kept: set[int]) -> set[int]:
    """Rule 3, in a statement no other rule marks: the literals after BY or TO (and the strings
    MySQL joins to them) when the statement names a user or a password, but account names."""
    if not any(t.kind in ("word", "ident") and _NAMES_USER_OR_PASSWORD.search(t.text) for t in sig):
        return set()
    found: set[int] = set()
    for k, token in enumerate(sig):
        if (
            token.kind in ("string", "number")
            and k > 0
            and sig[k - 1].kind == "word"
            and sig[k - 1].text in ("BY", "TO")
            and k not in kept
        ):
            while k < len(sig) and sig[k].kind in ("string", "number"):
                found.add(k)
                if sig[k].kind != "string":
                    break
                k += 1
    return found


def _near(word: str, keyword: str) -> bool:
    """``word`` is ``keyword`` or a typo of it: at most one edit (a letter missing, extra,
    wrong or two swapped) for keywords of up to five letters, two for longer ones."""
    limit = 1 if len(keyword) <= 5 else 2
    if abs(len(word) - len(keyword)) > limit:
        return False
    if word == keyword:
        return True
    # Optimal string alignment distance, rows of the dynamic programme only.
    before: list[int] = []
    previous = list(range(len(keyword) + 1))
    for i, a in enumerate(word, 1):
        current = [i] + [0] * len(keyword)
        for j, b in enumerate(keyword, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == keyword[j - 2] and word[i - 2] == b:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
        if min(previous) > limit:
            return False
    return previous[-1] <= limit


def _inside(view: _View, token: _Token, depth: int) -> tuple[list[Span], bool, bool]:
    """What a literal holds: the spans of the secrets in it (read as SQL), whether it carries a
    secret, and whether it is a statement (else it is free text)."""
    if depth >= _MAX_DEPTH:
        return [], True, False  # too deep to read: masked whole
    if token.hex_digits is not None:
        try:
            text = bytes.fromhex(token.hex_digits).decode("utf-8", "replace")
        except ValueError:
            return [], False, False
        return [], _masked(_View(text, [0] * len(text), [0] * len(text)), depth + 1)[1], False
    if token.kind != "string" or token.text[:1] in "Bb" and token.text[1:2] in "'\"":
        return [], False, False
    a, b = token.content
    quote = view.text[a - 1]
    found, carries, first = _masked(view.part(a, b, decode_quote=quote), depth + 1)
    return found, carries, first in _STATEMENT_WORDS


def _roles(view: _View, sig: list[_Token]) -> tuple[set[int], list[Span], set[int]]:
    """Literals in value positions, unquoted values (line spans), and literals kept."""
    values: set[int] = set()
    runs: list[Span] = []
    kept: set[int] = set()

    def word(i: int) -> str | None:
        return sig[i].text if 0 <= i < len(sig) and sig[i].kind in ("word", "ident") else None

    def punct(i: int, char: str) -> bool:
        return 0 <= i < len(sig) and sig[i].kind == "punct" and sig[i].text == char

    def value(i: int) -> None:
        if i >= len(sig):
            return
        if sig[i].kind in ("string", "number"):
            values.add(i)
            while i + 1 < len(sig) and sig[i + 1].kind == "string" and sig[i].kind == "string":
                i += 1  # MySQL joins adjacent strings: 'pa' 'ss'
                values.add(i)
            return
        run = _UNQUOTED.match(view.text, sig[i].start)
        if run is None or run.group().upper() in ("RANDOM", "PASSWORD", "DEFAULT"):
            return
        if view.text[run.end() :].lstrip().startswith("("):
            return  # a function call: its literals are masked by the general rule
        runs.append(view.span(run.start(), run.end()))

    first = word(0)
    set_password = first == "SET" and word(1) is not None and _near(word(1) or "", "PASSWORD")
    for i, token in enumerate(sig):
        name = word(i)
        if (
            name is not None and name != "IDENTIFIED" and _near(name, "IDENTIFIED") and word(i + 1) == "BY"
        ):  # IDENTIFED BY, IDENTIFIDE BY: rule 3
            value(i + 2)
        if name == "TO" and set_password and word(i + 1) != "RANDOM":
            value(i + 1)  # SET PASSWORD ... TO 'x': MySQL knows only TO RANDOM here
        if name == "IDENTIFIED":
            j = i + 1
            if word(j) == "WITH":
                kept.add(j + 1)  # the plugin
                j += 2
            if word(j) in ("BY", "AS"):
                j += 1
                if word(j) == "PASSWORD" and j + 1 < len(sig) and sig[j + 1].kind == "string":
                    j += 1  # 5.7: IDENTIFIED BY PASSWORD 'hash'
                if word(j) != "RANDOM":
                    value(j)
        elif name is not None and _PASSWORD_WORD.fullmatch(name):
            if punct(i + 1, "=") or (punct(i + 1, "(") and not punct(i + 2, ")")):
                value(i + 2)
            elif i + 1 < len(sig) and sig[i + 1].kind in ("string", "number"):
                value(i + 1)
        if name == "SET" and word(i + 1) == "PASSWORD" and word(i + 2) == "FOR":
            equals = next((k for k in range(i + 3, len(sig)) if punct(k, "=")), None)
            if equals is not None:
                value(equals + 1)
        if name is not None and _RDS_POSITIONAL.fullmatch(name) and punct(i + 1, "("):
            arguments = _arguments(sig, i + 1)
            for position in _RDS_KEPT_ARGUMENTS:
                kept.update(arguments[position] if position < len(arguments) else [])
            if _RDS_PASSWORD_ARGUMENT < len(arguments):
                for k in arguments[_RDS_PASSWORD_ARGUMENT]:
                    if sig[k].kind != "punct" and not punct(k + 1, "("):
                        value(k)

    def before_at(k: int) -> bool:
        """``k`` ends, or is part of, a run of adjacent strings that ends at @."""
        while sig[k].kind == "string" and k + 1 < len(sig) and sig[k + 1].kind == "string":
            k += 1
        return punct(k + 1, "@")

    roles = _role_list(sig)
    for k, token in enumerate(sig):
        if token.kind not in ("string", "number"):
            continue
        before, after = word(k - 1), word(k + 1)
        if (
            before_at(k)
            or (punct(k - 1, "@") and k >= 2 and sig[k - 2].kind != "punct")
            or before in _ACCOUNT_BEFORE
            or after == "IDENTIFIED"
            or k in roles
            or (before == "TO" and first in _TO_NAMES_AN_ACCOUNT)
            or (before is not None and _KEPT_OPTION.fullmatch(before))
            or (punct(k - 1, "=") and word(k - 2) is not None and _KEPT_OPTION.fullmatch(word(k - 2) or ""))
        ):
            kept.add(k)
    return values, runs, kept


def _role_list(sig: list[_Token]) -> set[int]:
    """The role names of ``GRANT role, ... TO account`` (no ON: not privileges on an object),
    and the grantees after its TO, separated by commas: account names, all of them."""
    if not sig or sig[0].kind != "word" or sig[0].text != "GRANT":
        return set()
    words = [t.text for t in sig if t.kind == "word"]
    if "TO" not in words or "ON" in words[: words.index("TO")]:
        return set()
    return {
        k
        for k, t in enumerate(sig)
        if t.kind == "string"
        and (
            sig[k - 1].kind == "word"
            and sig[k - 1].text in ("GRANT", "TO")
            or sig[k - 1].kind == "punct"
            and sig[k - 1].text in (",", "@")
        )
    }


def _arguments(sig: list[_Token], open_at: int) -> list[list[int]]:
    """The token indices of each argument of the call whose ( is at ``open_at``."""
    arguments: list[list[int]] = [[]]
    depth = 0
    for k in range(open_at, len(sig)):
        token = sig[k]
        if token.kind == "punct" and token.text in "()":
            depth += 1 if token.text == "(" else -1
            if depth == 0:
                break
            if k == open_at:
                continue
        elif token.kind == "punct" and token.text == "," and depth == 1:
            arguments.append([])
            continue
        arguments[-1].append(k)
    return arguments


def _without_introducers(tokens: list[_Token]) -> list[_Token]:
    """Drop ``_charset`` words that introduce a literal: the literal takes their place."""
    return [
        t
        for i, t in enumerate(tokens)
        if not (
            t.kind == "word"
            and t.text.startswith("_")
            and i + 1 < len(tokens)
            and tokens[i + 1].kind in ("string", "number")
        )
    ]


def _content(view: _View, token: _Token) -> Span:
    a, b = token.content
    return view.span(a, b) if a < b else (0, 0)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    versioned = False
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None  # the last alternative matches any character
        kind = match.lastgroup
        start, end = match.span()
        if match["string"] is not None:
            quote = match["quote"]
            body = _BODY[quote].match(text, end)
            assert body is not None  # the body pattern matches the empty string
            close = 1 if body["close"] else 0
            prefix = match["prefix"]
            digits = text[end : body.end() - close] if prefix in ("X", "x") else None
            tokens.append(
                _Token(
                    "string",
                    start,
                    body.end(),
                    prefix + quote,
                    content=(end, body.end() - close),
                    hex_digits=digits,
                )
            )
            pos = body.end()
            continue
        if match["number"] is not None:
            digits = match["hex"]
            tokens.append(
                _Token("number", start, end, match.group(), content=(start + 2, end), hex_digits=digits)
            )
        elif kind == "vopen":
            versioned = True
        elif kind == "vclose" and versioned:
            versioned = False
        elif kind == "comment":
            tokens.append(_Token("comment", start, end, ""))
        elif kind == "ident":
            tokens.append(
                _Token("ident", start, end, match.group()[1:].rstrip("`").replace("``", "`").upper())
            )
        elif kind == "word":
            tokens.append(_Token("word", start, end, match.group().upper()))
        elif kind in ("punct", "vclose"):
            tokens.append(_Token("punct", start, end, match.group()))
        pos = end
    return tokens


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


def _replace(line: str, spans: list[Span]) -> str:
    merged: list[list[int]] = []
    for a, b in sorted(s for s in spans if s[0] < s[1]):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, last = [], 0
    for a, b in merged:
        out += [line[last:a], MASK]
        last = b
    return "".join(out + [line[last:]])
