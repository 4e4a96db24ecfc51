"""Scenario files are bounded input: a size limit, no YAML aliases, and ids that are slugs.

Each refusal is one line naming the file, and comes before anything is injected or written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drills.cli import main
from drills.exceptions import ScenarioError
from drills.scenario import MAX_SCENARIO_BYTES, SCENARIO_DIR, load_scenarios, parse_scenario

P0A_TEXT = (SCENARIO_DIR / "p0-a.yaml").read_text()
P0A = yaml.safe_load(P0A_TEXT)


def alias_bomb() -> str:
    """A "billion laughs": nine levels of nine aliases each, 9**9 strings once expanded."""
    levels = ['&l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"&l{n} [{','.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    return (
        "id: bomb\ntitle: t\nseverity: P0\nguide_section: P0-A\nprocedure: []\n"
        f"verify: []\ndescription: [{', '.join(levels)}]\n"
    )


def test_the_bomb_is_the_size_the_issue_measured() -> None:
    assert len(alias_bomb().encode()) < 700


def _list(directory: Path, capsys) -> tuple[int, str]:
    code = main(["--scenarios-dir", str(directory), "list"])
    return code, capsys.readouterr().err


def test_drills_list_refuses_an_alias_bomb_with_one_line_naming_the_file(tmp_path, capsys) -> None:
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    code, error = _list(tmp_path, capsys)
    assert code == 2
    assert error.startswith(
        "error: bomb.yaml: cannot read scenario (YAML anchors and aliases (&name, *name) are not allowed"
    )
    assert error.count("\n") == 1


@pytest.mark.parametrize(
    "text",
    [
        P0A_TEXT.replace("title:", "title: &t", 1),
        P0A_TEXT + "root_cause: &r text\nimpact: *r\n",
        P0A_TEXT.replace("procedure:", "x-defaults: &defaults {continue_on_failure: true}\nprocedure:", 1),
    ],
    ids=["anchor alone", "anchor and alias", "merge-key defaults"],
)
def test_anchors_and_aliases_are_refused_anywhere(tmp_path, text: str) -> None:
    (tmp_path / "p0-a.yaml").write_text(text)
    with pytest.raises(ScenarioError, match=r"^p0-a.yaml: cannot read scenario \(YAML anchors "):
        load_scenarios(tmp_path)


def test_a_scenario_over_the_size_limit_is_refused_before_parsing(tmp_path) -> None:
    padding = "# " + "x" * 78 + "\n"
    (tmp_path / "big.yaml").write_text(P0A_TEXT + padding * (MAX_SCENARIO_BYTES // len(padding) + 1))
    with pytest.raises(ScenarioError) as raised:
        load_scenarios(tmp_path)
    assert str(raised.value) == "big.yaml: cannot read scenario (larger than 256 KiB)"


def test_a_scenario_at_the_size_limit_is_read(tmp_path) -> None:
    text = P0A_TEXT + "#" * (MAX_SCENARIO_BYTES - len(P0A_TEXT.encode()) - 1) + "\n"
    assert len(text.encode()) == MAX_SCENARIO_BYTES
    (tmp_path / "p0-a.yaml").write_text(text)
    assert list(load_scenarios(tmp_path)) == ["p0-a"]


def test_a_scenario_that_is_not_utf8_is_one_line(tmp_path) -> None:
    (tmp_path / "latin.yaml").write_bytes(P0A_TEXT.encode() + b"# caf\xe9\n")
    with pytest.raises(ScenarioError, match=r"^latin.yaml: cannot read scenario \(.*utf-8"):
        load_scenarios(tmp_path)


@pytest.mark.parametrize(
    "scenario_id",
    [
        "../../x",
        "/tmp/x",
        "a/b",
        "a\\b",
        "..",
        ".hidden",
        "P0-A",
        "-p0",
        "p0_a",
        "p0.a",
        "p0 a",
        "p0-a\n",
        "",
        "p" * 64,
        "p٠",
        7,
    ],
)
def test_scenario_ids_must_be_slugs(scenario_id) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario({**P0A, "id": scenario_id})
    assert str(raised.value).startswith(f"id: {scenario_id!r} is not a scenario id")


@pytest.mark.parametrize("scenario_id", ["p0-a", "0", "p" * 63, "gameday-2024-q3"])
def test_slug_ids_are_accepted(scenario_id: str) -> None:
    assert parse_scenario({**P0A, "id": scenario_id}).id == scenario_id


@pytest.mark.parametrize("command", [["run", "all"], ["gameday", "../../x"]])
def test_a_path_as_scenario_id_is_refused_before_any_target_opens(
    no_target_may_open, tmp_path, capsys, command
) -> None:
    scenarios, reports = tmp_path / "scenarios", tmp_path / "deep" / "er" / "reports"
    scenarios.mkdir()
    (scenarios / "x.yaml").write_text(yaml.safe_dump({**P0A, "id": "../../x"}))
    code = main([*command, "--scenarios-dir", str(scenarios), "--report-dir", str(reports)])
    assert code == 2
    assert capsys.readouterr().err.startswith("error: x.yaml: id: '../../x' is not a scenario id")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["scenarios", "x.yaml"]
