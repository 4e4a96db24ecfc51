"""Reading a runbook: procedures, blocks, and the annotations next to them, validated whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook_check.document import MAX_BYTES, load_runbook, parse_runbook
from runbook_check.exceptions import RunbookFormatError

EXPECT_OK = '<!-- expect: {"path": "ok", "op": "eq", "value": true} -->'


def runbook(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_blocks_belong_to_h2_and_h3_sections_and_carry_their_annotations():
    parsed = parse_runbook(
        runbook(
            "# Title",
            "",
            "## Before",
            "",
            "<!-- setup -->",
            EXPECT_OK,
            "```bash",
            "export A=1",
            "```",
            "## P0",
            "prose only",
            "### P0-A",
            "",
            EXPECT_OK,
            "",
            '<!-- expect-state: {"read": "ecs.describe_services", "args": {"cluster": "${C}"}, '
            '"path": "services", "op": "non_empty"} -->',
            "```bash",
            "aws ecs list-clusters",
            "```",
            "```text",
            "not a command",
            "```",
            "#### a step heading does not start a procedure",
            "<!-- not-covered: needs a person -->",
            "```sh",
            "mysql -p",
            "```",
        )
    )
    assert [p.title for p in parsed.procedures] == ["Before", "P0-A"]
    first, second = parsed.procedures[1].blocks
    assert (first.number, first.line, first.text) == (1, 17, "aws ecs list-clusters\n")
    assert first.annotations.expect[0].describe() == "ok eq True"
    assert first.annotations.expect_state[0].operation == "describe_services"
    assert first.annotations.variables_used() == {"C"}
    assert (second.number, second.annotations.not_covered) == (2, "needs a person")
    assert [b.label for b in parsed.setup_blocks] == ["Before · block 1 (line 7)"]


def test_multi_line_annotations_and_ordinary_comments():
    parsed = parse_runbook(
        runbook(
            "## S",
            "<!-- just a note -->",
            "<!-- expect: [",
            '  {"path": "a", "op": "exists"},',
            '  {"path": "b", "op": "empty"}',
            "] -->",
            "<!-- markdownlint-disable MD013 -->",
            "```bash",
            "true",
            "```",
        )
    )
    assert [e.path for e in parsed.blocks[0].annotations.expect] == ["a", "b"]


@pytest.mark.parametrize(
    "lines, message",
    [
        (["## S", "```bash", "true", "```"], "bash block without an expectation"),
        (["## S", EXPECT_OK, "some prose", "```bash", "true", "```"], "is followed by text (line 3)"),
        (["## S", EXPECT_OK, "## T"], "followed by a heading"),
        (["## S", EXPECT_OK, "```json", "{}", "```"], "only bash blocks take annotations"),
        (["## S", "```", "aws s3 ls", "```"], "code block without a language"),
        (["```bash", "true", "```"], "before the first H2/H3 heading"),
        (["## S", "<!-- expct: {} -->", "```bash", "true", "```"], "unknown annotation 'expct'"),
        (
            ["## S", '<!-- expect: {"path": "ok", "op": "equals", "value": 1} -->', "```bash", "true", "```"],
            "'equals' is not one of",
        ),
        (["## S", '<!-- expect: {"path": "ok" -->', "```bash", "true", "```"], "not JSON"),
        (
            ["## S", "<!-- not-covered: vpn -->", EXPECT_OK, "```bash", "true", "```"],
            "never run, so it takes no expectations",
        ),
        (
            ["## S", '<!-- given: {"fault": "bad-deploi"} -->', EXPECT_OK, "```bash", "true", "```"],
            "unknown fault 'bad-deploi'",
        ),
        (
            [
                "## S",
                '<!-- given: {"fault": "bad-deploy", "args": {"service": "x"}} -->',
                EXPECT_OK,
                "```bash",
                "true",
                "```",
            ],
            "has no argument 'service'",
        ),
        (
            ["## S", "<!-- requires: cloudtrail.lookup -->", EXPECT_OK, "```bash", "true", "```"],
            "unknown capability 'cloudtrail.lookup'",
        ),
        (
            [
                "## S",
                '<!-- expect-state: {"read": "ecs.update_service", "path": "a", "op": "exists"} -->',
                "```bash",
                "true",
                "```",
            ],
            "reads only",
        ),
        (
            ["## S", '<!-- expect-output: {"path": "a", "op": "exists"} -->', "```bash", "true", "```"],
            "takes no 'path'",
        ),
        (["## S", "<!-- timeout: 0 -->", EXPECT_OK, "```bash", "true", "```"], "outside 0..600"),
        (
            ["## S", "<!-- timeout: 5 -->", "<!-- timeout: 9 -->", EXPECT_OK, "```bash", "true", "```"],
            "'timeout' given twice",
        ),
        (
            ["## S", EXPECT_OK, "```bash", "true", "```", "## S", EXPECT_OK, "```bash", "true", "```"],
            "a second section titled 'S'",
        ),
        (["## S", EXPECT_OK, "```bash", "true"], "never closed"),
    ],
)
def test_malformed_runbooks_are_refused_with_the_line(lines, message):
    with pytest.raises(RunbookFormatError) as caught:
        parse_runbook(runbook(*lines))
    assert message in str(caught.value)
    assert str(caught.value).startswith("runbook.md:")


def test_the_project_runbook_parses_and_covers_the_guide_sections():
    parsed = load_runbook(Path(__file__).resolve().parents[2] / "docs" / "runbook.md")
    titles = [p.title for p in parsed.procedures]
    for section in ("P0-A", "P0-B", "P0-C", "P1-A", "P1-B", "P1-C"):
        assert any(title.startswith(section) for title in titles), section
    assert sum(title.startswith("P2") for title in titles) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00\xff\xfe", "not UTF-8 text"),
        (b"\xff\xfe# Runbook\n", "not UTF-8 text"),
        (b"#" * (MAX_BYTES + 1), "larger than 1024 KiB"),
    ],
    ids=["binary", "utf-16", "too large"],
)
def test_a_file_that_is_no_markdown_runbook_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "runbook.md"
    path.write_bytes(content)
    with pytest.raises(RunbookFormatError, match=message) as raised:
        load_runbook(path)
    assert "\n" not in str(raised.value)
