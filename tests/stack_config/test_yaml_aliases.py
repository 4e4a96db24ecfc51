"""Every YAML file the project reads refuses anchors and aliases, in one line naming the file.

Stack configs and the alarm catalog are read by ``drills``, the Pulumi program and CI; a
"billion laughs" alias bomb in one of them would stall all three, as it did ``drills list``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alarm_catalog import CATALOG_PATH, CatalogError, load_templates
from stack_config import StackConfigError, load_platform
from stack_config.loader import project_name
from stack_config.strict_yaml import ALIAS_PROBLEM, load_yaml

ROOT = Path(__file__).resolve().parents[2]
BOMB = "".join(f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 9))
BOMB = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + BOMB


def _stack_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.aliased.yaml").write_text(text)
    return tmp_path


def test_a_stack_config_that_shares_a_value_through_an_alias_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "Pulumi.staging.yaml").read_text()
    text = text.replace("  aws:region: ap-south-1", "  aws:region: &region ap-south-1", 1)
    text = text.replace("    region: ap-south-1", "    region: *region", 1)
    assert yaml.safe_load(text)["config"]["aws:region"] == "ap-south-1"  # valid YAML all the same
    with pytest.raises(StackConfigError) as raised:
        load_platform("aliased", _stack_with(tmp_path, text))
    assert str(raised.value).startswith(f"Pulumi.aliased.yaml: not valid YAML ({ALIAS_PROBLEM}")
    assert "\n" not in str(raised.value)


def test_an_alias_bomb_in_a_stack_config_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "Pulumi.staging.yaml").read_text() + BOMB
    with pytest.raises(StackConfigError, match=r"^Pulumi.aliased.yaml: not valid YAML \(YAML anchors"):
        load_platform("aliased", _stack_with(tmp_path, text))


def test_the_project_file_refuses_aliases_too(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: &n incident-guardrails\ndescription: *n\n")
    with pytest.raises(StackConfigError, match=r"Pulumi.yaml: not valid YAML \(YAML anchors"):
        project_name(tmp_path)


def test_the_alarm_catalog_refuses_aliases_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text(CATALOG_PATH.read_text() + BOMB)
    with pytest.raises(CatalogError) as raised:
        load_templates(path)
    assert str(raised.value).startswith(f"alarms.yaml: not valid YAML ({ALIAS_PROBLEM}")
    assert "\n" not in str(raised.value)


def test_the_shipped_yaml_has_no_aliases() -> None:
    for path in [*ROOT.glob("Pulumi*.yaml"), CATALOG_PATH, *ROOT.glob("drills/scenarios/*.yaml")]:
        assert load_yaml(path.read_text()) == yaml.safe_load(path.read_text()), path


@pytest.mark.parametrize(
    "text", ["a: &x 1", "a: [*x]", "a: &x {b: 1}\nc:\n  <<: *x", "&x [1]", "--- !!str &x s"]
)
def test_the_loader_refuses_every_anchor_and_alias(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="anchors and aliases"):
        load_yaml(text)


def test_the_loader_is_still_safe() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("!!python/object/apply:os.system ['true']")
    assert load_yaml("a: [1, '2', {b: null}]") == {"a": [1, "2", {"b": None}]}
