"""Scenarios are data (YAML in drills/scenarios/), validated whole before anything runs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from runbook_actions import all_actions
from stack_config import SEVERITIES, Platform
from stack_config.shapes import require_list, require_mapping
from stack_config.strict_yaml import load_yaml, read_bounded

from . import activities
from .action_undo import undo_for
from .detection_phase import DetectionSpec, load_symptoms, parse_detection_spec
from .exceptions import ScenarioError
from .expectations import OPERATORS, UNARY, Expectation

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
PHASES = ("steady_state", "faults", "procedure", "verify")
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# Ids name report files, so they are slugs: never a path.
SCENARIO_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Far above any real scenario (the shipped ones are a few KiB); checked before parsing.
MAX_SCENARIO_BYTES = 256 * 1024
# Variables every run provides (see context.DrillContext.variables).
RUN_VARIABLES = frozenset(
    {
        "cluster",
        "region",
        "stack",
        "environment",
        "db_cluster",
        "db_secret_id",
        "endpoint_parameter",
        "audit_log_group",
        "incident_id",
        "run_id",
        "service_count",
    }
)
FOR_EACH_VARIABLES = {
    "service": frozenset({"service", "service_desired_count", "service_log_group", "service_target_group"})
}
_STEP_KEYS = {
    "name",
    "probe",
    "fault",
    "action",
    "args",
    "for_each",
    "expect",
    "save",
    "continue_on_failure",
    "dry_run",
}
_SCENARIO_KEYS = {
    "id",
    "title",
    "severity",
    "guide_section",
    "description",
    "root_cause",
    "impact",
    "detection",
    "symptoms",
    *PHASES,
}
# Text the post-mortem and the progress output put on one line (a heading, a bullet, a table
# cell): a line break there would start a forged section of the post-mortem. By Unicode category,
# as post-status does: Cc and Zl/Zp are every separator str.splitlines() breaks at (\n, \r, \v,
# \f, \x1c-\x1e, U+0085, U+2028, U+2029) and the other control characters (ESC of terminal
# sequences); Cf are invisible format characters (bidi overrides that make text display as other
# text, zero-width characters); Cs are lone surrogates.
_NOT_IN_TEXT = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
ONE_LINE_KEYS = ("title", "guide_section", "impact")
# Prose of several lines (folded or literal YAML blocks): line feeds and tabs are allowed, every
# other character above is not. The post-mortem folds these into paragraphs (drills/report.py).
MULTI_LINE_KEYS = ("description", "root_cause")
_MULTI_LINE_ALLOWED = frozenset("\n\t")


@dataclass(frozen=True)
class Step:
    kind: str  # "probe", "fault" or "action"
    ref: str  # what it runs
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    for_each: str | None = None
    expect: tuple[Expectation, ...] = ()
    save: dict[str, str] = field(default_factory=dict)
    continue_on_failure: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    severity: str
    guide_section: str
    description: str
    root_cause: str
    impact: str
    steady_state: tuple[Step, ...]
    faults: tuple[Step, ...]
    procedure: tuple[Step, ...]
    verify: tuple[Step, ...]
    detection: DetectionSpec | None = None
    # Validated against a platform when a run starts (see validate_for_platform).
    symptoms: Any = None

    def steps(self) -> list[tuple[str, Step]]:
        return [(phase, step) for phase in PHASES for step in getattr(self, phase)]

    def services_needed(self) -> set[str]:
        """IAM service prefixes every step of the scenario calls."""
        needed: set[str] = set()
        for _, step in self.steps():
            needed |= _step_services(step)
        return needed


def load_scenarios(directory: Path = SCENARIO_DIR) -> dict[str, Scenario]:
    """Every scenario in ``directory``, P0 first, validated; the first invalid one raises."""
    if not directory.is_dir():
        raise ScenarioError(f"scenario directory {directory} does not exist")
    scenarios = [load_scenario(path) for path in sorted(directory.glob("*.yaml"))]
    seen: dict[str, Scenario] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(f"two scenarios have id {scenario.id!r}")
        seen[scenario.id] = scenario
    ordered = sorted(seen.values(), key=lambda s: (SEVERITIES.index(s.severity), s.id))
    return {s.id: s for s in ordered}


def validate_for_platform(scenario: Scenario, platform: Platform) -> None:
    """The parts of a scenario that depend on the stack (its symptoms), checked before a run."""
    try:
        load_symptoms(scenario.symptoms, platform)
    except ScenarioError as error:
        raise ScenarioError(f"{scenario.id}: {error}") from None
    if scenario.detection and scenario.detection.expect_page and scenario.symptoms is None:
        raise ScenarioError(f"{scenario.id}: detection.expect_page needs a symptoms section")


def load_scenario(path: Path) -> Scenario:
    """One scenario file: at most MAX_SCENARIO_BYTES, no YAML anchors or aliases, validated."""
    try:
        data = load_yaml(read_bounded(path, MAX_SCENARIO_BYTES))
    except (OSError, ValueError, yaml.YAMLError) as error:
        # One line: YAML errors quote the offending line over several.
        raise ScenarioError(f"{path.name}: cannot read scenario ({' '.join(str(error).split())})") from None
    try:
        return parse_scenario(data)
    except ScenarioError as error:
        raise ScenarioError(f"{path.name}: {error}") from None


def parse_scenario(data: Any) -> Scenario:
    require_mapping(data, "scenario", _SCENARIO_KEYS, ScenarioError)
    for key in ("id", "title", "severity", "guide_section", "procedure", "verify"):
        if key not in data:
            raise ScenarioError(f"required key {key!r} is missing")
    if not isinstance(data["id"], str) or not SCENARIO_ID.fullmatch(data["id"]):
        raise ScenarioError(
            f"id: {data['id']!r} is not a scenario id (lower-case letters, digits "
            "and hyphens, at most 63, starting with a letter or digit, e.g. p0-a)"
        )
    if data["severity"] not in SEVERITIES:
        raise ScenarioError(f"severity: {data['severity']!r} is not one of {', '.join(SEVERITIES)}")
    phases = {
        phase: tuple(
            _parse_step(raw, f"{phase}[{i}]", phase)
            for i, raw in enumerate(require_list(data.get(phase, []), phase, ScenarioError))
        )
        for phase in PHASES
    }
    scenario = Scenario(
        id=_text(data, "id"),
        title=_one_line(_text(data, "title"), "title"),
        severity=data["severity"],
        guide_section=_one_line(_text(data, "guide_section"), "guide_section"),
        description=_prose(data, "description"),
        root_cause=_prose(data, "root_cause"),
        impact=_one_line(_optional_text(data, "impact"), "impact"),
        detection=parse_detection_spec(data.get("detection"), data["severity"]),
        symptoms=data.get("symptoms"),
        **phases,
    )
    _check_variables(scenario)
    return scenario


def _parse_step(raw: Any, where: str, phase: str) -> Step:
    require_mapping(raw, where, _STEP_KEYS, ScenarioError)
    kinds = [k for k in ("probe", "fault", "action") if k in raw]
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: give exactly one of probe, fault, action")
    kind = kinds[0]
    allowed = {
        "steady_state": {"probe"},
        "faults": {"fault"},
        "procedure": {"action", "probe"},
        "verify": {"probe"},
    }[phase]
    if kind not in allowed:
        raise ScenarioError(f"{where}: a {kind} cannot be a step of {phase}")
    ref = raw[kind]
    args = raw.get("args", {}) or {}
    require_mapping(args, f"{where}.args", None, ScenarioError)
    for_each = raw.get("for_each")
    if for_each is not None and (not isinstance(for_each, str) or for_each not in FOR_EACH_VARIABLES):
        raise ScenarioError(f"{where}.for_each: {for_each!r} is not one of {', '.join(FOR_EACH_VARIABLES)}")
    check_reference(kind, ref, args, where)
    return Step(
        kind=kind,
        ref=ref,
        name=_one_line(str(raw.get("name") or ref), f"{where}.name"),
        args=dict(args),
        for_each=for_each,
        expect=parse_expectations(raw.get("expect", []), where),
        save=_parse_save(raw.get("save", {}), where),
        continue_on_failure=_flag(raw, "continue_on_failure", where),
        dry_run=_flag(raw, "dry_run", where),
    )


def check_reference(kind: str, ref: Any, args: Mapping[str, Any], where: str) -> None:
    known = {"probe": activities.probes(), "fault": activities.faults(), "action": all_actions()}[kind]
    if not isinstance(ref, str) or ref not in known:
        raise ScenarioError(f"{where}: unknown {kind} {ref!r} (known: {', '.join(sorted(known))})")
    item = known[ref]
    if kind == "action" and item.mutating and undo_for(ref) is None:
        raise ScenarioError(
            f"{where}: action {ref!r} changes the target but drills/action_undo.py "
            "says neither how to undo it nor why it needs no undo"
        )
    params = {p.name for p in item.params} if kind == "action" else set(item.params)
    unknown = sorted(set(args) - params)
    if unknown:
        raise ScenarioError(
            f"{where}.args: {kind} {ref!r} has no argument {unknown[0]!r} "
            f"(arguments: {', '.join(sorted(params)) or 'none'})"
        )


def parse_expectations(raw: Any, where: str) -> tuple[Expectation, ...]:
    result = []
    for i, item in enumerate(require_list(raw, f"{where}.expect", ScenarioError)):
        require_mapping(item, f"{where}.expect[{i}]", {"path", "op", "value"}, ScenarioError)
        op = item.get("op")
        if not isinstance(op, str) or op not in OPERATORS:
            raise ScenarioError(f"{where}.expect[{i}].op: {op!r} is not one of {', '.join(OPERATORS)}")
        if not isinstance(item.get("path"), str) or not item["path"]:
            raise ScenarioError(f"{where}.expect[{i}].path: required")
        if op not in UNARY and "value" not in item:
            raise ScenarioError(f"{where}.expect[{i}].value: operator {op!r} needs a value")
        result.append(Expectation(item["path"], op, item.get("value")))
    return tuple(result)


def _parse_save(raw: Any, where: str) -> dict[str, str]:
    require_mapping(raw, f"{where}.save", None, ScenarioError)
    for name, path in raw.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(name)) or not isinstance(path, str):
            raise ScenarioError(f"{where}.save: {name!r} must map a lower_case name to a result path")
    return dict(raw)


def _check_variables(scenario: Scenario) -> None:
    """Every placeholder must name a run variable, a for_each variable or an earlier output."""
    known = set(RUN_VARIABLES)
    for phase, step in scenario.steps():
        if step.kind == "fault":
            known |= set(activities.faults()[step.ref].outputs)
        local = known | FOR_EACH_VARIABLES.get(step.for_each or "", frozenset())
        for name in (
            placeholders(step.args) | placeholders(step.name) | placeholders([e.value for e in step.expect])
        ):
            if name not in local:
                raise ScenarioError(f"{phase} step {step.name!r}: unknown variable {{{name}}}")
        known |= set(step.save)


def placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    return set()


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """Fill placeholders; a string that is exactly one placeholder keeps the variable's type."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return variables[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    return value


def _step_services(step: Step) -> set[str]:
    if step.kind == "action":
        action = all_actions()[step.ref]
        return {a.split(":", 1)[0] for grant in action.iam for a in grant.actions}
    registry = activities.probes() if step.kind == "probe" else activities.faults()
    return set(registry[step.ref].services)


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"{key}: expected non-empty text")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScenarioError(f"{key}: expected text, got {type(value).__name__}")
    return value


def _refused_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    for character in text:
        if character not in allowed and unicodedata.category(character) in _NOT_IN_TEXT:
            return f"U+{ord(character):04X}"
    return None


def _one_line(text: str, key: str) -> str:
    """``text`` unless it holds a line break, control or invisible formatting character."""
    found = _refused_character(text)
    if found:
        raise ScenarioError(
            f"{key}: must be one line of visible text ({found} is a line break, "
            "control or invisible formatting character)"
        )
    return text


def _prose(data: Mapping[str, Any], key: str) -> str:
    """Several lines of text: line feeds and tabs, no other control or separator character."""
    text = _optional_text(data, key)
    found = _refused_character(text, _MULTI_LINE_ALLOWED)
    if found:
        raise ScenarioError(
            f"{key}: {found} is not allowed (lines end with a plain line feed; no "
            "other line break, control or invisible formatting character)"
        )
    return text


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}.{key}: expected true or false")
    return value
