"""Read a runbook: its procedures (H2/H3 sections) and their annotated ``bash`` blocks.

Annotations are HTML comments directly above a block (only blank lines or other annotations in
between), so they vanish when the page is rendered::

    <!-- expect: {"path": "ok", "op": "eq", "value": true} -->
    ```bash
    python -m runbook_actions triage --cluster "$ZELLY_CLUSTER"
    ```

The whole file is validated before anything runs; every error names the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from stack_config.strict_yaml import read_bounded

from .annotations import Annotations, parse_annotation
from .exceptions import RunbookFormatError

COMMAND_LANGUAGES = frozenset({"bash", "sh", "shell"})
MAX_BYTES = 1024 * 1024  # docs/runbook.md is ~30 KB; bounds the read of a wrong path such as /dev/zero
PROCEDURE_LEVELS = (2, 3)  # "## P0-A ..." and "### Admin panel slow ..." start a procedure
_HEADING = re.compile(r"(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"(`{3,}|~{3,})\s*([^`\s]*)")
_BLOCK_LINE = re.compile(r"\bline (\d+)\b")


@dataclass(frozen=True)
class Block:
    section: str
    number: int  # 1-based within its section
    line: int  # line of the opening fence in the file
    text: str
    annotations: Annotations = field(default_factory=Annotations)

    @property
    def label(self) -> str:
        return f"{self.section} · block {self.number} (line {self.line})"

    def in_file_lines(self, message: str) -> str:
        """Rewrite "line N" of the block's text (as bash and the checks count) as the file's line."""
        return _BLOCK_LINE.sub(lambda m: f"line {self.line + int(m.group(1))}", message)


@dataclass(frozen=True)
class Procedure:
    title: str
    line: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Runbook:
    path: Path
    procedures: tuple[Procedure, ...]

    @property
    def blocks(self) -> list[Block]:
        return [block for procedure in self.procedures for block in procedure.blocks]

    @property
    def setup_blocks(self) -> list[Block]:
        return [block for block in self.blocks if block.annotations.setup]


def load_runbook(path: Path) -> Runbook:
    """Read and validate the runbook; a file that is not readable UTF-8 text under MAX_BYTES is refused."""
    try:
        text = read_bounded(path, MAX_BYTES)
    except OSError as error:
        raise RunbookFormatError(f"{path}: cannot read the runbook ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise RunbookFormatError(
            f"{path}: not UTF-8 text (byte {error.start}); give the Markdown runbook"
        ) from None
    except ValueError as error:  # read_bounded: over the limit, refused before reading it all
        raise RunbookFormatError(f"{path}: {error}; a runbook is Markdown, well under that") from None
    return parse_runbook(text, path)


def parse_runbook(text: str, path: Path = Path("runbook.md")) -> Runbook:
    reader = _Reader(path)
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        index = reader.feed(lines, index)
    return reader.finish()


class _Reader:
    """One pass over the lines: headings open sections, annotations wait for their block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sections: list[tuple[str, int, list[Block]]] = []
        self.pending: list[tuple[int, str, str | None]] = []  # (line, key, value)

    def feed(self, lines: list[str], index: int) -> int:
        line = lines[index]
        stripped = line.strip()
        fence = _FENCE.match(stripped)
        if fence:
            return self._block(lines, index, fence.group(1), fence.group(2).lower())
        if stripped.startswith("<!--"):
            return self._comment(lines, index)
        heading = _HEADING.match(stripped)
        if heading:
            self._no_pending(index, "a heading")
            if len(heading.group(1)) in PROCEDURE_LEVELS:
                self._open_section(heading.group(2), index + 1)
        elif stripped:
            self._no_pending(index, "text")
        return index + 1

    def finish(self) -> Runbook:
        self._no_pending(None, "the end of the file")
        procedures = tuple(
            Procedure(title, line, tuple(blocks)) for title, line, blocks in self.sections if blocks
        )
        if not procedures:
            raise RunbookFormatError(f"{self.path}: no bash blocks under an H2 or H3 heading")
        return Runbook(self.path, procedures)

    def _open_section(self, title: str, line: int) -> None:
        for other, other_line, _ in self.sections:
            if other == title:
                raise RunbookFormatError(
                    f"{self.path}:{line}: a second section titled {title!r} "
                    f"(first at line {other_line}); titles name procedures"
                )
        self.sections.append((title, line, []))

    def _comment(self, lines: list[str], index: int) -> int:
        start = index
        body = lines[index].strip()[4:]
        while "-->" not in body:
            index += 1
            if index >= len(lines):
                raise RunbookFormatError(f"{self.path}:{start + 1}: HTML comment is never closed")
            body += "\n" + lines[index]
        content, _, rest = body.partition("-->")
        if rest.strip():
            raise RunbookFormatError(
                f"{self.path}:{index + 1}: text after '-->'; put annotations on lines of their own"
            )
        parsed = parse_annotation(content.strip(), f"{self.path}:{start + 1}")
        if parsed is not None:
            self.pending.append((start + 1, *parsed))
        return index + 1

    def _block(self, lines: list[str], index: int, fence: str, language: str) -> int:
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not _closes(lines[index], fence):
            body.append(lines[index])
            index += 1
        if index >= len(lines):
            raise RunbookFormatError(f"{self.path}:{start + 1}: code block is never closed")
        where = f"{self.path}:{start + 1}"
        if not language:
            raise RunbookFormatError(
                f"{where}: code block without a language; label commands "
                "```bash (they are run) and anything else ```text"
            )
        if language in COMMAND_LANGUAGES:
            self._add_block(start + 1, "\n".join(body) + "\n", where)
        else:
            self._no_pending(start, f"a ```{language} block (only bash blocks take annotations)")
        return index + 1

    def _add_block(self, line: int, text: str, where: str) -> None:
        if not self.sections:
            raise RunbookFormatError(
                f"{where}: bash block before the first H2/H3 heading; every block belongs to a procedure"
            )
        title, _, blocks = self.sections[-1]
        annotations = Annotations.build(self.pending, where)
        self.pending = []
        blocks.append(Block(title, len(blocks) + 1, line, text, annotations))

    def _no_pending(self, index: int | None, what: str) -> None:
        if self.pending:
            line = self.pending[0][0]
            found = f"line {index + 1}" if index is not None else "EOF"
            raise RunbookFormatError(
                f"{self.path}:{line}: annotation {self.pending[0][1]!r} is "
                f"followed by {what} ({found}), not by a bash block"
            )


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0])
