"""The simple commands of a bash block, as words, for checks that need no shell.

Good enough for the commands a runbook holds (no heredocs): continuation lines are joined,
``$(...)`` and ``$((...))`` become one opaque word in their command and the commands inside them
are read too, and pipelines, lists, ``for`` loops and redirections are split into the commands
they run. Leading ``export``/``VAR=value`` words are
kept apart as assignments.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

SUBSTITUTION = "$…"  # no shell punctuation, so it stays one word
_OPERATORS = frozenset("();<>|&")
_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "time", "{", "}"}
)
_DECLARATIONS = frozenset({"export", "local", "readonly", "declare"})
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]
    line: int  # 1-based line in the block

    @property
    def is_aws(self) -> bool:
        return bool(self.words) and self.words[0].rsplit("/", 1)[-1] == "aws"

    @property
    def runbook_action_args(self) -> list[str] | None:
        """The arguments after ``python -m runbook_actions``, or None for any other command."""
        if (
            len(self.words) >= 3
            and self.words[0].rsplit("/", 1)[-1] in ("python", "python3")
            and self.words[1:3] == ("-m", "runbook_actions")
        ):
            return list(self.words[3:])
        return None


def simple_commands(text: str) -> list[Command]:
    """Every simple command of the block; ValueError (one line) if a line cannot be read."""
    commands: list[Command] = []
    for line_number, line in _logical_lines(text):
        commands += _line_commands(line, line_number)
    return commands


def _line_commands(line: str, number: int) -> list[Command]:
    """The commands of one logical line, those inside ``$(...)`` included."""
    outer, inner_texts = _extract_substitutions(line, number)
    commands = [
        command
        for segment in _segments(_tokens(outer, number))
        if (command := _command(segment, number)) is not None
    ]
    for inner in inner_texts:
        commands += _line_commands(inner, number)
    return commands


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    current, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not current:
            start = number
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        current += raw
        if current.strip() and not current.lstrip().startswith("#"):
            lines.append((start, current))
        current = ""
    if current.strip():
        lines.append((start, current))
    return lines


def _extract_substitutions(line: str, number: int) -> tuple[str, list[str]]:
    """The line with each ``$(...)`` replaced by one opaque word, and the texts inside them."""
    out: list[str] = []
    inner: list[str] = []
    index, quote = 0, None
    while index < len(line):
        char = line[index]
        if char == "\\" and quote != "'":
            out.append(line[index : index + 2])
            index += 2
            continue
        if char in "'\"" and quote in (None, char):
            quote = None if quote else char
        elif quote != "'" and line.startswith("$(", index):
            end = _closing_paren(line, index + 1, number)
            text = line[index + 2 : end]
            arithmetic = text.startswith("(") and text.endswith(")")
            inner.append(text[1:-1] if arithmetic else text)
            out.append(SUBSTITUTION)
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out), inner


def _closing_paren(line: str, open_index: int, number: int) -> int:
    depth, quote = 0, None
    for index in range(open_index, len(line)):
        char = line[index]
        if char in "'\"" and quote in (None, char) and line[index - 1] != "\\":
            quote = None if quote else char
        elif quote is None and char == "(":
            depth += 1
        elif quote is None and char == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"line {number}: '$(' is never closed")


def _tokens(line: str, number: int) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # bash only starts a comment at a word's start; handled below
    try:
        tokens = list(lexer)
    except ValueError as error:
        raise ValueError(f"line {number}: {error}") from None
    for index, token in enumerate(tokens):
        if token.startswith("#"):
            return tokens[:index]
    return tokens


def _is_operator(token: str) -> bool:
    return bool(token) and all(char in _OPERATORS for char in token)


def _segments(words: list[str]) -> list[list[str]]:
    segments: list[list[str]] = [[]]
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if _is_operator(word):
            if "<" in word or ">" in word:
                if segments[-1] and segments[-1][-1].isdigit():
                    segments[-1].pop()  # the "2" of "2>/dev/null"
                skip_next = True  # the redirection's target
                continue
            segments.append([])
        else:
            segments[-1].append(word)
    return [segment for segment in segments if segment]


def _command(words: list[str], line: int) -> Command | None:
    while words and words[0] in _KEYWORDS:
        words = words[1:]
    if words[:1] == ["for"]:
        return None  # "for name in words": no command
    assignments: list[tuple[str, str]] = []
    while words:
        if words[0] in _DECLARATIONS:
            words = [w for w in words[1:] if not w.startswith("-")]
            assignments += [_split(w) for w in words if _ASSIGNMENT.fullmatch(w)]
            return Command((), tuple(assignments), line)
        match = _ASSIGNMENT.fullmatch(words[0])
        if not match:
            break
        assignments.append((match.group(1), match.group(2)))
        words = words[1:]
    if not words and not assignments:
        return None
    return Command(tuple(words), tuple(assignments), line)


def _split(word: str) -> tuple[str, str]:
    name, _, value = word.partition("=")
    return name, value
