"""The README's table of actions is the one rendered from the actions' declarations (issue 14).

The hand-written table hid required flags (``--db-cluster``, ``--secret-id``, ``--incident-id``,
``--endpoint-parameter`` ...); the table is now rendered by ``runbook_actions.usage`` and this
test fails, printing the command that fixes it, when a declaration changes without the README.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from runbook_actions import all_actions
from runbook_actions.params import Param
from runbook_actions.usage import BEGIN, END, REGENERATE, main, readme_block, render_table, replace_block

README = Path(__file__).resolve().parents[2] / "README.md"


def _drift(document: str, table: str) -> str | None:
    """Why ``document``'s block is not ``table`` (with the fix), or None when it is."""
    block = readme_block(document)
    if block == table:
        return None
    return f"README.md's table of actions differs from the declarations; run: {REGENERATE}"


def test_readme_table_is_the_rendered_one() -> None:
    message = _drift(README.read_text(encoding="utf-8"), render_table(all_actions().values()))
    assert message is None, message


def test_a_param_added_without_regenerating_is_drift() -> None:
    actions = dict(all_actions())
    triage = actions["triage"]
    extra = Param("since_deploy", str, "only since the last deployment", required=True, env="ZELLY_SINCE")
    actions["triage"] = dataclasses.replace(triage, params=(*triage.params, extra))
    table = render_table(actions.values())
    assert "`--since-deploy SINCE_DEPLOY` (or `ZELLY_SINCE`)" in table
    message = _drift(README.read_text(encoding="utf-8"), table)
    assert message is not None and REGENERATE in message


@pytest.mark.parametrize(
    ("action", "flag"),
    [
        ("snapshot-cluster", "`--db-cluster DB_CLUSTER` (or `ZELLY_DB_CLUSTER`)"),
        ("backup-status", "`--db-cluster DB_CLUSTER` (or `ZELLY_DB_CLUSTER`)"),
        ("rotate-db-credentials", "`--secret-id SECRET_ID` (or `ZELLY_DB_SECRET_ID`)"),
        ("restore-cluster", "`--incident-id INCIDENT_ID` (or `ZELLY_INCIDENT_ID`)"),
        ("cutover", "`--endpoint-parameter ENDPOINT_PARAMETER` (or `ZELLY_DB_ENDPOINT_PARAMETER`)"),
        ("triage", "`--cluster CLUSTER` (or `ZELLY_CLUSTER`)"),
    ],
)
def test_required_flags_are_shown_with_their_environment_fallback(action: str, flag: str) -> None:
    row = next(
        line
        for line in render_table(all_actions().values()).splitlines()
        if line.startswith(f"| `{action}` |")
    )
    required = row.split(" | ")[2]
    assert flag in required


def test_every_declared_flag_is_in_its_row_with_mutating_or_read_only() -> None:
    rows = render_table(all_actions().values()).splitlines()[2:]
    actions = list(all_actions().values())
    assert len(rows) == len(actions)
    for action, row in zip(actions, rows, strict=True):
        assert row.startswith(f"| `{action.name}` |")
        assert row.endswith("| mutating |" if action.mutating else "| read-only |")
        for param in action.params:
            assert f"`{param.flag}" in row, (action.name, param.flag)
    assert "`--app-cidr APP_CIDR ...` (or `ZELLY_APP_CIDRS`, comma-separated)" in "\n".join(rows)


def test_write_replaces_only_the_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{BEGIN}\n| stale |\n{END}\nafter\n", encoding="utf-8")
    assert main(["--write", str(readme)]) == 0
    written = readme.read_text(encoding="utf-8")
    assert written.startswith(f"before\n{BEGIN}\n| action |") and written.endswith(f"{END}\nafter\n")
    assert _drift(written, render_table(all_actions().values())) is None
    assert replace_block(written, render_table(all_actions().values())) == written


def test_write_refuses_a_readme_without_markers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n", encoding="utf-8")
    assert main(["--write", str(readme)]) == 1
    assert "actions:begin" in capsys.readouterr().err
    assert readme.read_text(encoding="utf-8") == "no markers\n"
