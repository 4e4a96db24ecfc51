"""The README's table of actions, rendered from the actions' own declarations.

``python -m runbook_actions.usage`` prints the table; ``--write [README]`` puts it into the
README between the ``<!-- actions:begin -->`` and ``<!-- actions:end -->`` lines, so the table
shows every flag the command line takes, required or not, and never drifts from it
(``tests/runbook_actions/test_readme_action_table.py`` fails when it does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, Sequence

from .action import Action
from .params import Param

BEGIN = "<!-- actions:begin -->"
END = "<!-- actions:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"
REGENERATE = "python -m runbook_actions.usage --write"


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell (one line, pipes escaped)."""
    return " ".join(text.split()).replace("|", "\\|")


def _flag(param: Param) -> str:
    if param.kind is bool:
        shown = f"`{param.flag}`"
    elif param.choices is not None:
        shown = f"`{param.flag} {'|'.join(param.choices)}`"
    else:
        value = param.name.upper() if param.kind is str else "N"
        shown = f"`{param.flag} {value}{' ...' if param.multiple else ''}`"
    notes = []
    if param.env:
        notes.append(f"or `{param.env}`" + (", comma-separated" if param.multiple else ""))
    if param.default is not None and param.kind is not bool:
        notes.append(f"default `{param.default}`")
    return shown + (f" ({'; '.join(notes)})" if notes else "")


def _flags(params: Iterable[Param]) -> str:
    return ", ".join(_flag(param) for param in params) or "none"


def render_table(actions: Iterable[Action]) -> str:
    """The Markdown table of ``actions``, one row each, ending with a newline."""
    lines = [
        "| action | what it does | required flags | optional flags | changes AWS |",
        "|---|---|---|---|---|",
    ]
    for action in actions:
        required = _flags(p for p in action.params if p.required)
        optional = _flags(p for p in action.params if not p.required)
        kind = "mutating" if action.mutating else "read-only"
        lines.append(
            f"| `{action.name}` | {_cell(action.summary)} | {_cell(required)} | {_cell(optional)} | {kind} |"
        )
    return "\n".join(lines) + "\n"


def current_table() -> str:
    """The table for the actions the package declares now."""
    from .registry import all_actions

    return render_table(all_actions().values())


def replace_block(document: str, table: str) -> str:
    """``document`` with the text between the marker lines replaced by ``table``."""
    begin, end = document.find(BEGIN), document.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"no {BEGIN} ... {END} block")
    start = begin + len(BEGIN)
    return document[:start] + "\n" + table + document[end:]


def readme_block(document: str) -> str:
    """The text between the marker lines of ``document``."""
    begin, end = document.find(BEGIN), document.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"no {BEGIN} ... {END} block")
    return document[begin + len(BEGIN) : end].lstrip("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runbook_actions.usage",
        description="Print the README's table of actions, rendered from their declarations.",
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const=str(README),
        metavar="README",
        help=f"replace the table between {BEGIN} and {END} in README (default: the repository's README.md)",
    )
    options = parser.parse_args(argv)
    table = current_table()
    if options.write is None:
        sys.stdout.write(table)
        return 0
    path = Path(options.write)
    try:
        updated = replace_block(path.read_text(encoding="utf-8"), table)
    except (OSError, ValueError) as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 1
    path.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
