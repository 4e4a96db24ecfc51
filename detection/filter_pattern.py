"""CloudWatch Logs filter patterns, applied to one log event the way a metric filter does.

Forms implemented (CloudWatch Logs "Filter pattern syntax"; matching is case-sensitive):

- ``""``: every event matches.
- Terms: ``ERROR Exception`` (every term appears), ``"a quoted phrase"``, ``-term`` (must not
  appear), ``?A ?B`` (at least one appears). A bare term may hold only letters, digits and
  ``_``; anything else must be quoted, as CloudWatch requires.
- ``%regex%``: CloudWatch's regex subset (letters, digits, ``: _ # = @ / ; , -`` and the
  operators ``^ $ ? [ ] { } | \\ * + .``; no parentheses, no multi-byte characters), checked
  against that subset, then run with Python's ``re.search``. Python's ``?`` is "zero or one".
- JSON ``{ ... }``: selectors ``$.a.b[0]``; ``=`` / ``!=`` against quoted or bare strings with
  ``*`` wildcards, ``%regex%`` or numbers; ``< > <= >=`` against numbers; ``IS NULL``,
  ``IS TRUE``, ``IS FALSE``, ``NOT EXISTS``; ``&&`` binds tighter than ``||``; parentheses.
  A message that is not a JSON object never matches. A comparison whose selector is missing,
  null, an object or an array is false for ``=`` and ``!=`` alike (a ``!=`` never matches an
  event that lacks the field: CloudWatch behaves so, hence the CIS patterns' ``NOT EXISTS``).

Not modelled, rejected with FilterPatternError rather than guessed: space-delimited
``[a, b, ...]`` patterns, and ``?`` terms mixed with plain or ``-`` terms.
"""

from __future__ import annotations

import json
import math
import operator
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol, Union

from .exceptions import FilterPatternError

_BARE_TERM = re.compile(r"[A-Za-z0-9_]+")
_REGEX_CHARACTERS = frozenset(string.ascii_letters + string.digits + ":_#=@/;,-" + "^$?[]{}|\\*+.")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_ABSENT = object()


class FilterPattern(Protocol):
    def matches(self, message: str) -> bool: ...


@lru_cache(maxsize=256)
def compile_pattern(text: str) -> FilterPattern:
    """The matcher for one filter pattern; raises FilterPatternError naming the problem."""
    stripped = text.strip()
    if not stripped:
        return _MatchAll()
    if stripped.startswith("{"):
        if not stripped.endswith("}"):
            raise FilterPatternError(f"JSON filter pattern {text!r} does not end with '}}'")
        return _JsonPattern(_JsonParser(stripped[1:-1], text).parse())
    if stripped.startswith("["):
        raise FilterPatternError(
            f"space-delimited filter pattern {text!r} is not modelled by the detection evaluator"
        )
    if len(stripped) >= 2 and stripped.startswith("%") and stripped.endswith("%"):
        return _RegexPattern(compile_regex(stripped[1:-1], text))
    return _parse_terms(stripped, text)


def parse_json_event(message: str) -> Any:
    """The JSON object a message holds, or None when it is not one (then no JSON pattern matches)."""
    return _load_json(message)


@lru_cache(maxsize=4096)
def _load_json(message: str) -> Any:
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def compile_regex(regex: str, pattern: str) -> re.Pattern[str]:
    """A ``%...%`` body, checked against CloudWatch's regex subset before Python compiles it."""
    if not regex:
        raise FilterPatternError(f"filter pattern {pattern!r}: empty regular expression")
    if "(" in regex or ")" in regex:
        raise FilterPatternError(
            f"filter pattern {pattern!r}: CloudWatch regex does not support parentheses (no sub-patterns)"
        )
    bad = sorted(set(regex) - _REGEX_CHARACTERS)
    if bad:
        raise FilterPatternError(
            f"filter pattern {pattern!r}: character {bad[0]!r} is outside CloudWatch's regex subset"
        )
    try:
        return re.compile(regex)
    except re.error as error:
        raise FilterPatternError(f"filter pattern {pattern!r}: invalid regex ({error})") from None


@dataclass(frozen=True)
class _MatchAll:
    def matches(self, message: str) -> bool:
        return True


@dataclass(frozen=True)
class _RegexPattern:
    regex: re.Pattern[str]

    def matches(self, message: str) -> bool:
        return self.regex.search(message) is not None


@dataclass(frozen=True)
class _TermsPattern:
    required: tuple[str, ...]
    excluded: tuple[str, ...]
    any_of: tuple[str, ...]

    def matches(self, message: str) -> bool:
        if self.any_of:
            return any(term in message for term in self.any_of)
        return all(term in message for term in self.required) and not any(
            term in message for term in self.excluded
        )


def _parse_terms(text: str, pattern: str) -> _TermsPattern:
    groups: dict[str, list[str]] = {"": [], "-": [], "?": []}
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        prefix = text[position] if text[position] in "?-" else ""
        position += len(prefix)
        term, position = _read_term(text, position, pattern)
        groups[prefix].append(term)
    if groups["?"] and (groups[""] or groups["-"]):
        raise FilterPatternError(
            f"filter pattern {pattern!r} mixes ?-terms with other terms, "
            "which the detection evaluator does not model"
        )
    return _TermsPattern(tuple(groups[""]), tuple(groups["-"]), tuple(groups["?"]))


def _read_term(text: str, position: int, pattern: str) -> tuple[str, int]:
    if position < len(text) and text[position] == '"':
        end = _closing_quote(text, position, pattern)
        term = _unescape(text[position + 1 : end])
        if end + 1 < len(text) and not text[end + 1].isspace():
            raise FilterPatternError(f"filter pattern {pattern!r}: text right after a quoted term")
        if not term:
            raise FilterPatternError(f"filter pattern {pattern!r}: empty quoted term")
        return term, end + 1
    match = re.compile(r"\S+").match(text, position)
    term = match.group() if match else ""
    if not _BARE_TERM.fullmatch(term):
        raise FilterPatternError(
            f"filter pattern {pattern!r}: term {term!r} has characters other "
            "than letters, digits and '_', so it must be in double quotes"
        )
    assert match is not None  # an empty term (no match) was refused just above
    return term, match.end()


def _closing_quote(text: str, start: int, pattern: str) -> int:
    position = start + 1
    while position < len(text):
        if text[position] == "\\":
            position += 2
            continue
        if text[position] == '"':
            return position
        position += 1
    raise FilterPatternError(f"filter pattern {pattern!r}: unterminated double quote")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


# --- JSON patterns -------------------------------------------------------------------------

Path = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class _Glob:
    """A string value; ``*`` matches any text (quoted or not, as CloudWatch documents)."""

    text: str

    def matches(self, value: str) -> bool:
        if "*" not in self.text:
            return value == self.text
        return _glob_regex(self.text).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _glob_regex(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)


@dataclass(frozen=True)
class _Regex:
    regex: re.Pattern[str]

    def matches(self, value: str) -> bool:
        return self.regex.search(value) is not None


@dataclass(frozen=True)
class _Number:
    number: float
    text: str


@dataclass(frozen=True)
class _Compare:
    path: Path
    op: str
    value: Union[_Glob, _Regex, _Number]

    def evaluate(self, doc: Any) -> bool:
        found = _resolve(doc, self.path)
        if found is _ABSENT or found is None or isinstance(found, (dict, list)):
            return False
        if isinstance(self.value, _Number):
            return self._numeric(found, self.value)
        hit = self.value.matches(_scalar_text(found))
        return hit if self.op == "=" else not hit

    def _numeric(self, found: Any, number: _Number) -> bool:
        if isinstance(found, bool):
            return False
        if isinstance(found, (int, float)):
            return bool(_NUMERIC_OPS[self.op](float(found), number.number))
        # A string field against a bare number: = / != compare the text as written.
        if self.op in ("=", "!="):
            return bool((found == number.text) == (self.op == "="))
        return False


@dataclass(frozen=True)
class _Check:
    path: Path
    kind: str  # "not_exists" | "null" | "true" | "false"

    def evaluate(self, doc: Any) -> bool:
        found = _resolve(doc, self.path)
        if self.kind == "not_exists":
            return found is _ABSENT
        return found is {"null": None, "true": True, "false": False}[self.kind]


@dataclass(frozen=True)
class _AllOf:
    children: tuple[Any, ...]

    def evaluate(self, doc: Any) -> bool:
        return all(child.evaluate(doc) for child in self.children)


@dataclass(frozen=True)
class _AnyOf:
    children: tuple[Any, ...]

    def evaluate(self, doc: Any) -> bool:
        return any(child.evaluate(doc) for child in self.children)


@dataclass(frozen=True)
class _JsonPattern:
    expression: Any

    def matches(self, message: str) -> bool:
        doc = _load_json(message)
        return doc is not None and self.expression.evaluate(doc)


def _resolve(doc: Any, path: Path) -> Any:
    node = doc
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return _ABSENT
        elif not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def resolve_selector(doc: Any, selector: str) -> Any:
    """The value ``selector`` ($.a.b[0]) points at in ``doc``, or None when absent."""
    found = _resolve(doc, parse_selector(selector, selector))
    return None if found is _ABSENT else found


def _scalar_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_selector(text: str, pattern: str) -> Path:
    match = re.fullmatch(r"\$((?:\.[A-Za-z0-9_\-]+|\[\d+\])+)", text)
    if not match:
        raise FilterPatternError(
            f"filter pattern {pattern!r}: {text!r} is not a selector like $.field.sub[0]"
        )
    parts = re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", match.group(1))
    return tuple(name if name else int(index) for name, index in parts)


_JSON_TOKEN = re.compile(
    r"""\s*(?:
    (?P<lpar>\() | (?P<rpar>\)) | (?P<and>&&) | (?P<or>\|\|) |
    (?P<op>!=|<=|>=|=|<|>) |
    (?P<selector>\$[^\s()&|=!<>]*) |
    (?P<quoted>"(?:[^"\\]|\\.)*") |
    (?P<regex>%[^%]*%) |
    (?P<word>[^\s()&|=!<>"]+)
)""",
    re.VERBOSE,
)


class _JsonParser:
    """Recursive descent over ``expr := and ('||' and)*; and := unary ('&&' unary)*``."""

    def __init__(self, body: str, pattern: str) -> None:
        self.pattern = pattern
        self.tokens = self._tokenize(body)
        self.position = 0

    def _tokenize(self, body: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while body[position:].strip():
            match = _JSON_TOKEN.match(body, position)
            if not match or match.end() == position:
                raise self._error(f"cannot read {body[position:].strip()[:20]!r}")
            tokens.append((match.lastgroup or "", match.group(match.lastgroup or 0)))
            position = match.end()
        return tokens

    def _error(self, detail: str) -> FilterPatternError:
        return FilterPatternError(f"JSON filter pattern {self.pattern!r}: {detail}")

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self, kind: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end" or (kind is not None and token[0] != kind):
            raise self._error(f"expected {kind or 'more'}, found {token[1] or 'the end'!r}")
        self.position += 1
        return token

    def parse(self) -> Any:
        if not self.tokens:
            raise self._error("empty expression")
        expression = self._or()
        if self._peek()[0] != "end":
            raise self._error(f"unexpected {self._peek()[1]!r}")
        return expression

    def _or(self) -> Any:
        children = [self._and()]
        while self._peek()[0] == "or":
            self._take()
            children.append(self._and())
        return children[0] if len(children) == 1 else _AnyOf(tuple(children))

    def _and(self) -> Any:
        children = [self._unary()]
        while self._peek()[0] == "and":
            self._take()
            children.append(self._unary())
        return children[0] if len(children) == 1 else _AllOf(tuple(children))

    def _unary(self) -> Any:
        if self._peek()[0] == "lpar":
            self._take()
            inner = self._or()
            self._take("rpar")
            return inner
        return self._condition()

    def _condition(self) -> Any:
        path = parse_selector(self._take("selector")[1], self.pattern)
        kind, text = self._peek()
        if kind == "word" and text in ("NOT", "IS"):
            return _Check(path, self._keyword_check())
        op = self._take("op")[1]
        return _Compare(path, op, self._value(op))

    def _keyword_check(self) -> str:
        first = self._take("word")[1]
        second = self._take("word")[1]
        checks = {
            ("NOT", "EXISTS"): "not_exists",
            ("IS", "NULL"): "null",
            ("IS", "TRUE"): "true",
            ("IS", "FALSE"): "false",
        }
        if (first, second) not in checks:
            raise self._error(f"unknown check {first} {second} (NOT EXISTS, IS NULL, IS TRUE, IS FALSE)")
        return checks[(first, second)]

    def _value(self, op: str) -> Union[_Glob, _Regex, _Number]:
        if self._peek()[0] not in ("word", "quoted", "regex"):
            raise self._error(f"expected a value after {op}, found {self._peek()[1] or 'the end'!r}")
        kind, text = self._take()
        if kind == "word" and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return _Number(float(text), text)
        if op not in ("=", "!="):
            raise self._error(f"operator {op} needs a number, got {text!r}")
        if kind == "quoted":
            return _Glob(_unescape(text[1:-1]))
        if kind == "regex":
            return _Regex(compile_regex(text[1:-1], self.pattern))
        return _Glob(text)
