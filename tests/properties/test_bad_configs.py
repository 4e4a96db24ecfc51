"""Bad stack configs, scenarios and drill command lines: always a one-line error of the project's
own kind (StackConfigError, ScenarioError, exit 2), never another exception or a traceback.

Stack configs: Pulumi.production.yaml's platform mapping with one change: a value of the wrong
type, a required key removed, an unknown key added (each must name the key exactly), or a value
of the right type but out of its rules (must be refused or accepted, nothing else).
Scenarios: drills/scenarios/p0-a.yaml with the same kinds of change (a wrong type or an unknown
key where the format fixes them must be refused, naming where), and text that is not YAML.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from drills.cli import main as drills_main
from drills.exceptions import ScenarioError
from drills.scenario import SCENARIO_DIR, load_scenario, parse_scenario, validate_for_platform
from stack_config import StackConfigError, load_platform, platform_from_config
from stack_config.loader import load_stack_config
from tests.support.bad_input import CLI_TEXT, PROPERTY_SETTINGS

PLATFORM_CONFIG = load_stack_config("production")["incident-guardrails:platform"]
SCENARIO = yaml.safe_load((SCENARIO_DIR / "p0-a.yaml").read_text())
KeyPath = tuple[Any, ...]

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**9), 10**9),
        st.text(max_size=20),
        st.floats(allow_nan=False),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(data: Any, prefix: KeyPath = ()) -> list[KeyPath]:
    """Every key path into ``data`` (mapping keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, prefix + (index,))
    return found


def get(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def dotted(root: str, path: KeyPath) -> str:
    """``platform.services[1].desiredCount``: how the loader names a key."""
    return root + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _type_of(value: Any) -> type:
    return {bool: bool, int: int, float: float, str: str, list: list, dict: dict}.get(type(value), type(None))


def other_type(value: Any) -> st.SearchStrategy[Any]:
    """A non-null value of another JSON type (null is a valid 'not set' for optional keys)."""
    kinds = {
        bool: st.booleans(),
        int: st.integers(-5, 5),
        float: st.floats(0.5, 9.5),
        str: st.text(min_size=1, max_size=8).filter(str.strip),
        list: st.lists(st.integers(), max_size=2),
        dict: st.dictionaries(st.just("k"), st.integers(), max_size=1),
    }
    mine = _type_of(value)
    same = {mine} | ({int, float} if mine in (int, float) else set())
    return st.one_of(*[strategy for kind, strategy in kinds.items() if kind not in same])


@st.composite
def wrong_type_change(
    draw, data: Any, typed: Callable[[KeyPath], bool] = lambda path: True
) -> tuple[Any, KeyPath]:
    """A value of another type at one key path that ``typed`` accepts."""
    changed = copy.deepcopy(data)
    path = draw(st.sampled_from([p for p in paths(data) if typed(p)]))
    get(changed, path[:-1])[path[-1]] = draw(other_type(get(data, path)))
    return changed, path


@st.composite
def unknown_key_change(
    draw, data: Any, closed: Callable[[KeyPath], bool] = lambda path: True
) -> tuple[Any, KeyPath]:
    """A key added to one mapping whose keys are fixed (``closed``)."""
    changed = copy.deepcopy(data)
    mappings = [p for p in [()] + paths(data) if isinstance(get(data, p), dict) and closed(p)]
    at = draw(st.sampled_from(mappings))
    mapping = get(changed, at)
    key = draw(
        st.text(st.characters(categories=["Ll", "Lu"]), min_size=1, max_size=12).filter(
            lambda k: k not in mapping
        )
    )
    mapping[key] = draw(JSON_VALUES)
    return changed, at + (key,)


@st.composite
def any_value_change(draw, data: Any) -> Any:
    changed = copy.deepcopy(data)
    path = draw(st.sampled_from(paths(data)))
    parent = get(changed, path[:-1])
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(
            st.one_of(JSON_VALUES, st.text(min_size=1025, max_size=1100), st.integers(-(10**12), 10**12))
        )
    return changed


def _platform_error(config: Any) -> str | None:
    try:
        platform_from_config(config)
    except StackConfigError as error:
        message = str(error)
        assert "\n" not in message and message.startswith("platform"), message
        return message
    return None


@PROPERTY_SETTINGS
@given(change=st.one_of(wrong_type_change(PLATFORM_CONFIG), unknown_key_change(PLATFORM_CONFIG)))
def test_a_stack_config_with_a_wrong_type_or_unknown_key_names_it(tried, change) -> None:
    tried()
    config, path = change
    message = _platform_error(config)
    assert message is not None and message.startswith(dotted("platform", path)), message


@PROPERTY_SETTINGS
@given(config=any_value_change(PLATFORM_CONFIG))
def test_any_single_change_to_a_stack_config_is_refused_cleanly_or_accepted(tried, config) -> None:
    tried()
    _platform_error(config)  # anything but StackConfigError fails the test


def _scenario_error(data: Any) -> str | None:
    try:
        scenario = parse_scenario(data)
        validate_for_platform(scenario, load_platform("production"))
    except ScenarioError as error:
        assert "\n" not in str(error), str(error)
        return str(error)
    return None


# What a scenario's validation types when the scenario is loaded, and what it leaves open on
# purpose: free text is stringified; a step's arguments may be placeholders, so they are checked
# against the action's or probe's parameters when the step runs, once filled in; an expected
# value may be any value; a metric may have any dimension names.
FREE_TEXT_KEYS = frozenset({"name", "description", "impact", "root_cause"})
STEP_REFERENCES = frozenset({"probe", "fault", "action"})


def typed_in_scenario(path: KeyPath) -> bool:
    inside_an_argument = "args" in path[:-1]
    expected_value = len(path) >= 3 and path[-3] == "expect" and path[-1] == "value"
    return not (inside_an_argument or expected_value or path[-1] in FREE_TEXT_KEYS)


def closed_in_scenario(path: KeyPath) -> bool:
    return path[-1:] != ("dimensions",) and "args" not in path[:-1]


def _location(path: KeyPath) -> str:
    """``procedure[2].expect[0].op``, or ``scenario`` for the top level: how the loader names it."""
    return dotted("", path).lstrip(".") or "scenario"


def _without_scenario_id(message: str) -> str:
    # Symptoms are checked against the platform after parsing; those errors name the scenario.
    return message.removeprefix(f"{SCENARIO['id']}: ")


@PROPERTY_SETTINGS
@given(
    change=st.one_of(
        wrong_type_change(SCENARIO, typed_in_scenario).map(lambda c: ("type", *c)),
        unknown_key_change(SCENARIO, closed_in_scenario).map(lambda c: ("key", *c)),
    )
)
def test_a_scenario_with_a_wrong_type_or_unknown_key_is_refused(tried, change) -> None:
    tried()
    kind, data, path = change
    message = _scenario_error(data)
    what = "the wrong type" if kind == "type" else "the unknown key"
    assert message is not None, f"{_location(path)}: {what} was accepted"
    where = _without_scenario_id(message)
    if kind == "key":
        parent, key = path[:-1], path[-1]
        assert where.startswith(f"{_location(parent)}: "), message
        # The detection spec lists its keys instead of naming the unknown one.
        assert repr(key) in where or parent == ("detection",), message
    elif path[-1] in STEP_REFERENCES:  # a reference that is not text is an unknown one
        assert where.startswith(f"{_location(path[:-1])}: unknown {path[-1]} "), message
    else:
        assert where.startswith(f"{_location(path)}: "), message


@pytest.mark.parametrize(
    "path", [("procedure", 0, "expect", 0, "op"), ("procedure", 4, "for_each")], ids=["expect-op", "for-each"]
)
def test_a_list_where_a_scenario_expects_a_name_is_refused(path: KeyPath) -> None:
    data = copy.deepcopy(SCENARIO)
    get(data, path[:-1])[path[-1]] = [get(data, path)]
    message = _scenario_error(data)
    assert message is not None and _without_scenario_id(message).startswith(f"{_location(path)}: ")


@PROPERTY_SETTINGS
@given(data=any_value_change(SCENARIO))
def test_any_single_change_to_a_scenario_is_refused_cleanly_or_accepted(tried, data) -> None:
    tried()
    _scenario_error(data)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=200))
def test_a_scenario_file_that_is_not_a_scenario_is_refused(tried, text, tmp_path_factory) -> None:
    tried()
    path = tmp_path_factory.mktemp("scenario") / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert str(raised.value).startswith("broken.yaml: ") and "\n" not in str(raised.value)


BAD_DRILL_COMMANDS = st.one_of(
    CLI_TEXT.filter(lambda t: t not in ("p0-a", "p0-b", "p0-c", "all")).map(lambda s: ["run", s]),
    CLI_TEXT.filter(lambda t: t != "production" and t.strip()).map(lambda s: ["run", "p0-a", f"--stack={s}"]),
    CLI_TEXT.filter(lambda t: t not in ("local", "localstack", "aws")).map(
        lambda t: ["run", "p0-a", f"--target={t}"]
    ),
    CLI_TEXT.filter(lambda t: "://" not in t).map(lambda u: ["run", "p0-a", f"--endpoint-url={u}"]),
    CLI_TEXT.map(lambda a: ["run", "p0-a", "--target=aws", f"--confirm-account={a}"]),
    CLI_TEXT.filter(
        lambda t: t.strip() and t not in ("list", "run", "seed", "runbook", "gameday", "ack", "-h", "--help")
    ).map(lambda c: [c]),
)


@PROPERTY_SETTINGS
@given(argv=BAD_DRILL_COMMANDS)
def test_a_bad_drill_command_is_refused_in_one_line_before_anything_runs(
    tried, argv, capsys, tmp_path_factory
) -> None:
    tried()
    reports = tmp_path_factory.mktemp("reports")
    argv = argv + ["--report-dir", str(reports)] if argv[0] == "run" else argv
    assert drills_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert list(reports.iterdir()) == []
