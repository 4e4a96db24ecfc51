"""The package layout the README's table describes, checked on every import of the code base.

Each package sits in a layer and imports only packages in lower layers (never one beside it,
never one above), and only what the imported package's ``__init__`` names in ``__all__``: names
it exports, or its public modules. Read from the source with ``ast``, so nothing is imported.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. Packages in one layer do not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("runbook_actions",),
    ("stack_config",),
    ("alarm_catalog",),
    ("detection", "targets"),
    ("drills",),
    ("runbook_check", "components"),
    ("policy",),
    ("bench", "localstack", "__main__"),
]
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}


def _packages() -> list[str]:
    """Every top-level folder with Python in it (a package, or a folder of scripts), and every
    top-level module (the program's ``__main__``, and any other, which then needs a layer too)."""
    folders = [d for d in ROOT.iterdir() if d.is_dir() and d.name != "tests" and not d.name.startswith(".")]
    modules = [p.stem for p in ROOT.glob("*.py")]
    return sorted(d.name for d in folders if next(d.rglob("*.py"), None)) + sorted(modules)


def _package_of(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _sources() -> list[Path]:
    sources = sorted(ROOT.glob("*.py"))
    for package in _packages():
        if (ROOT / package).is_dir():
            sources += sorted((ROOT / package).rglob("*.py"))
    return sources


@cache
def _public(package: str) -> frozenset[str]:
    tree = ast.parse((ROOT / package / "__init__.py").read_text())
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute dotted module, imported names) for every import in ``path``."""
    found = []
    module_parts = list(path.relative_to(ROOT).with_suffix("").parts)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[
                    : len(module_parts) - node.level
                ]  # pkg/__init__ counts as a module of pkg
                dotted = ".".join(base + ([node.module] if node.module else []))
            else:
                dotted = node.module or ""
            found.append((node.lineno, dotted, [alias.name for alias in node.names]))
    return found


def _violations(path: Path) -> list[str]:
    package = _package_of(path)
    known = set(_packages())
    problems = []
    for line, dotted, names in _imports(path):
        target = dotted.split(".")[0]
        where = f"{path.relative_to(ROOT)}:{line} imports {dotted}"
        if target == "tests":
            problems.append(f"{where}: the code never imports the tests")
            continue
        if target not in known or target == package:
            continue
        if LAYER[target] >= LAYER[package]:
            problems.append(f"{where}: {target} is not below {package}")
            continue
        rest = dotted.split(".")[1:]
        hidden = [name for name in (rest[:1] or names) if name not in _public(target)]
        hidden += [name for name in (names if rest else []) if name.startswith("_")]
        if hidden:
            problems.append(f"{where}: {', '.join(hidden)} not public in {target}")
    return problems


def test_every_package_has_a_layer() -> None:
    assert set(_packages()) == set(LAYER), "place each new package in LAYERS (and the README's table)"


def test_each_package_imports_only_public_names_of_packages_below_it() -> None:
    problems = [problem for path in _sources() for problem in _violations(path)]
    assert problems == []


def test_the_readme_layout_table_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text()
    table = {m.group(1).rstrip("/") for m in re.finditer(r"^\| `([\w_]+/?)`", readme, re.M)}
    assert set(_packages()) - {"__main__"} <= table


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("drills/x.py", "from runbook_actions.ecs_helpers import describe_services\n"),
        ("targets/x.py", "from drills.journal import utc_now\n"),
        ("detection/x.py", "from targets import session\n"),
        ("drills/x.py", "from runbook_actions import fanout\n"),
        ("drills/x.py", "from targets.session import _local\n"),
        ("drills/x.py", "from tests.support import platform_names\n"),
    ],
)
def test_the_check_catches_a_private_or_upward_import(tmp_path, monkeypatch, source, expected) -> None:
    path = ROOT / source
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: expected if self == path else _read(self))
    assert _violations(path), f"{source}: {expected!r} passed"


def test_a_new_top_level_module_needs_a_layer(tmp_path, monkeypatch) -> None:
    """A stray ``helpers.py`` beside the packages would otherwise launder any import."""
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "__init__.py").write_text("")
    (tmp_path / "helpers.py").write_text("from drills.journal import utc_now\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _packages() == ["drills", "helpers"]
    assert set(_packages()) - set(LAYER) == {"helpers"}


def _read(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()
