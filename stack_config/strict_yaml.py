"""YAML for hand-written config: safe tags only, and no anchors or aliases.

An alias is a reference, so a few hundred bytes of nested aliases (a "billion laughs" file)
expand to billions of items in whatever walks the result. None of the project's YAML needs
them, so ``&name`` and ``*name`` (and ``<<`` merges, which need them) are refused where the
parser meets them, before anything is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

ALIAS_PROBLEM = "YAML anchors and aliases (&name, *name) are not allowed"


class NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises a YAMLError at the first anchor or alias."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # types-PyYAML declares Parser.peek_event without annotations.
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ComposerError(None, None, ALIAS_PROBLEM, event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """Parse ``text`` like ``yaml.safe_load``, refusing anchors and aliases."""
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def read_bounded(path: Path, limit: int) -> str:
    """The UTF-8 text of ``path``; OSError (ValueError for a file over ``limit`` bytes) otherwise.

    Reads at most ``limit + 1`` bytes, so an oversized file is refused without reading it all.
    """
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // 1024} KiB")
    return data.decode("utf-8")
