"""No scenario text (nor any step detail or reason) can forge a section of the post-mortem.

The red team's finding: a scenario ``title`` holding ``\\n## Action items`` (or U+2028, U+0085...)
was accepted and the post-mortem showed a forged section. Now one-line scenario fields refuse
every line break, control and invisible formatting character at load time, naming the key; the
multi-line ones (description, root_cause) allow plain line feeds only; and the renderer folds
every value onto its line and escapes a leading Markdown block marker, so whatever reaches it
(scenario built in code, AWS error text in a step detail) cannot start a heading, a list, a
quote, a table row or raw HTML. Checked on the post-mortem's rendered text.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.exceptions import ScenarioError
from drills.journal import CheckRecord, Journal, StepRecord, utc_now
from drills.redaction import REDACTED, Redactor
from drills.report import SECRET_CHECK, render_postmortem, write_reports
from drills.scenario import SCENARIO_DIR, load_scenario, parse_scenario

P0A = yaml.safe_load((SCENARIO_DIR / "p0-a.yaml").read_text())
TEMPLATE_HEADINGS = [
    "# Incident Post-Mortem:",
    "## Summary",
    "## Impact",
    "## Responders",
    "## Timeline (all times UTC)",
    "## Response Budget",
    "## Root Cause",
    "## Contributing Factors",
    "## What Went Well",
    "## What Went Poorly",
    "## Where We Got Lucky",
    "## Action Items",
    "## Lessons Learned",
]
# Every character Python's str.splitlines() breaks a line at, other controls, bidi and
# zero-width characters.
BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
HIDDEN = ["\x00", "\x1b", "\t", "\u202e", "\u2066", "\u200b", "\ufeff"]
FORGERIES = [
    "## Action items",
    "# Incident Post-Mortem: resolved",
    "Action Items\n============",
    "- [x] all fixed",
    "> quoted",
    "<h2>Action Items</h2>",
    "| forged | row |",
    "```",
    "1. first",
    "[ref]: https://example.test",
    "---",
]


def _scenario(**changes):
    data = copy.deepcopy(P0A)
    data.update(changes)
    return parse_scenario(data)


def _journal(text: str = "fine") -> Journal:
    journal = Journal(
        scenario="p0-a",
        title="t",
        severity="P0",
        guide_section="P0-A",
        stack="production",
        target={"name": "local"},
        run_id="r",
        incident_id="i",
    )
    journal.timeline.append(
        StepRecord(
            f"step {text}", "procedure", "action", "x", utc_now(), status="failed", detail=f"AWS said: {text}"
        )
    )
    journal.checks.append(CheckRecord(f"check {text}", "verify", "failed", text))
    journal.checks.append(CheckRecord(text or "x", "verify", "passed", "ok"))
    journal.checks.append(CheckRecord(text or "x", "verify", "not-covered", text))
    journal.affected_services = [text]
    journal.detection = {"fired": [], "expected_page": "P0", "unwatched_symptoms": [text]}
    journal.sla = {
        "parts": [{"name": text, "seconds": 1.0, "source": text}],
        "sla_s": 300,
        "total_s": 1.0,
        "margin_s": 299.0,
        "within": True,
    }
    journal.finish()
    journal.reason = f"step failed: {text}"
    return journal


def _structure(markdown: str) -> list[str]:
    """The block marker of every line that starts a Markdown block other than a paragraph
    (CommonMark), as the post-mortem shows them; every line break character counts, as editors
    show them."""
    lines = markdown.splitlines()
    starts = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else ""
        block = re.match(
            r" {0,3}(#{1,6}(?=\s|$)|>|[-+*](?=\s)|\d{1,9}[.)](?=\s|$)|```|~~~|<|\[[^\]]*\]:)", line
        )
        if block:
            starts.append(block.group(1))
        elif previous.strip() and re.fullmatch(r" {0,3}(=+|-+)\s*", line):
            starts.append("setext")
        if re.search(r"<[A-Za-z/!?]", line):
            starts.append("html")
    return starts


def _headings(markdown: str) -> list[str]:
    return [
        line
        for line in markdown.splitlines()
        if re.match(r" {0,3}#{1,6}(\s|$)", line) or re.search(r"<h[1-6]", line)
    ]


def _assert_template_only(markdown: str, baseline: str) -> None:
    # No line break but the template's own line feeds (U+2028, \r, \x85... all count).
    assert markdown.splitlines() == markdown.removesuffix("\n").split("\n")
    headings = _headings(markdown)
    assert [h.split(":")[0] if h.startswith("# ") else h for h in headings] == [
        h.rstrip(":") for h in TEMPLATE_HEADINGS
    ], headings
    assert _structure(markdown) == _structure(baseline)


BASELINE = render_postmortem(_journal(), _scenario())


# --- load time: one-line fields ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["title", "guide_section", "impact"])
@pytest.mark.parametrize("character", BREAKS + HIDDEN)
def test_one_line_scenario_fields_refuse_breaks_and_hidden_characters(key: str, character: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        _scenario(**{key: f"All services down{character}## Action items"})
    message = str(raised.value)
    assert message.startswith(f"{key}: must be one line") and len(message.splitlines()) == 1


@pytest.mark.parametrize("character", BREAKS + HIDDEN)
def test_step_names_refuse_breaks_and_hidden_characters(character: str) -> None:
    data = copy.deepcopy(P0A)
    data["procedure"][1]["name"] = f"post again{character}## Action items"
    with pytest.raises(ScenarioError, match=r"^procedure\[1\]\.name: must be one line"):
        parse_scenario(data)


@pytest.mark.parametrize("key", ["description", "root_cause"])
@pytest.mark.parametrize("character", [c for c in BREAKS + HIDDEN if c not in ("\n", "\t")])
def test_multi_line_fields_allow_only_line_feeds(key: str, character: str) -> None:
    with pytest.raises(ScenarioError, match=rf"^{key}: U\+[0-9A-F]{{4}} is not allowed"):
        _scenario(**{key: f"first line{character}second line"})
    assert _scenario(**{key: "first line\n\tsecond line\n\nparagraph"})


def test_a_scenario_file_with_a_forged_title_is_refused_in_one_line_naming_the_key(tmp_path: Path) -> None:
    data = copy.deepcopy(P0A)
    data["title"] = "All services returning 503\u2028## Action items"
    path = tmp_path / "p0-a.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=False))
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert str(raised.value).startswith("p0-a.yaml: title: must be one line of visible text (U+2028")
    assert len(str(raised.value).splitlines()) == 1


def test_text_fields_must_be_text() -> None:
    with pytest.raises(ScenarioError, match="^impact: expected text"):
        _scenario(impact=["a", "b"])


def test_shipped_scenarios_still_load_and_render_only_the_template() -> None:
    for name in ("p0-a", "p0-b", "p0-c"):
        scenario = load_scenario(SCENARIO_DIR / f"{name}.yaml")
        _assert_template_only(render_postmortem(_journal(), scenario), BASELINE)


# --- render time: the post-mortem's own text ---------------------------------------------------


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("separator", BREAKS + ["\n\n", " "])
def test_multi_line_fields_cannot_forge_a_section(forgery: str, separator: str) -> None:
    scenario = dataclasses.replace(
        _scenario(),
        description=f"What happened.{separator}{forgery}",
        root_cause=f"{forgery}{separator}Real cause.\n\n{forgery}",
    )
    _assert_template_only(render_postmortem(_journal(), scenario), BASELINE)


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("separator", BREAKS + HIDDEN)
def test_nothing_the_renderer_is_given_can_forge_a_section(forgery: str, separator: str) -> None:
    """Scenario built in code (no load-time check) and step details, check names, symptoms,
    reasons holding the forgery: still only the template's sections."""
    text = f"x{separator}{forgery}"
    scenario = dataclasses.replace(
        _scenario(), title=text, impact=text, guide_section=text, description=text, root_cause=forgery
    )
    journal = _journal(text)
    journal.guide_section = text
    markdown = render_postmortem(journal, scenario)
    _assert_template_only(markdown, render_postmortem(_journal(), _scenario()))
    assert "\x1b" not in markdown and "\u202e" not in markdown


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(
                [c for c in BREAKS if len(c) == 1] + HIDDEN + list("#>-+*=_|`~[]<!0123456789.) Action Items")
            ),
            st.characters(),
        ),
        max_size=60,
    )
)
def test_any_text_leaves_the_post_mortems_structure_alone(text: str) -> None:
    scenario = dataclasses.replace(
        _scenario(),
        title=text or "t",
        impact=text,
        description=text,
        root_cause=text,
        guide_section=text or "P0-A",
    )
    _assert_template_only(render_postmortem(_journal(text), scenario), BASELINE)


def test_post_mortem_text_stays_readable() -> None:
    scenario = dataclasses.replace(_scenario(), root_cause="The deploy crashed.\n\nfastify-nova fell to 1.")
    markdown = render_postmortem(_journal("ok"), scenario)
    section = markdown.split("## Root Cause\n", 1)[1].split("\n\n## ", 1)[0]
    assert section == "The deploy crashed.\n\nfastify-nova fell to 1."
    assert "All services returning 503 after a bad deployment (drill)" in markdown
    assert "A release with a crashing build is deployed to every ECS service at once;" in markdown


def test_escaping_never_hides_a_secret_from_the_scan(tmp_path: Path) -> None:
    """A secret holding characters the renderer escapes (| \\ < ` and a line break) is still
    found, redacted, and fails the drill."""
    secret = "pa|ss\\wo<rd`x\nyz-long"
    journal = _journal(f"password is {secret}")
    write_reports(journal, _scenario(), tmp_path, Redactor([secret]))
    report = json.loads((tmp_path / "p0-a.json").read_text())
    markdown = (tmp_path / "p0-a-postmortem.md").read_text()
    for variant in (secret, "pa\\|ss", "wo&lt;rd", "pa|ss\\\\wo", "ss\\wo<rd"):
        assert variant not in markdown and variant not in (tmp_path / "p0-a.json").read_text()
    assert REDACTED in markdown
    check = next(c for c in report["checks"] if c["name"] == SECRET_CHECK)
    assert check["status"] == "failed"
    assert "report" in check["detail"] and "post-mortem" in check["detail"]
