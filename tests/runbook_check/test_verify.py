"""Checking what a block printed against the expectations written next to it."""

from __future__ import annotations

import pytest

from runbook_check.document import parse_runbook
from runbook_check.verify import check_outputs, json_documents, substitute
from tests.support.platform_names import CLUSTER


def annotations(*comments: str):
    return parse_runbook("## S\n" + "\n".join(comments) + "\n```bash\ntrue\n```\n").blocks[0].annotations


def test_json_documents_reads_indented_and_line_separated_values():
    assert json_documents('{\n  "a": 1\n}\n{"a": 2}\n[3]\n') == [{"a": 1}, {"a": 2}, [3]]
    assert json_documents("  \n") == []
    with pytest.raises(ValueError, match="output is not JSON from 'keys: a b'"):
        json_documents('{"a": 1}\nkeys: a b\n')


def test_expect_reads_the_last_document_and_expect_each_every_one():
    checks = annotations(
        '<!-- expect: {"path": "changed", "op": "eq", "value": true} -->',
        '<!-- expect-each: {"path": "ok", "op": "eq", "value": true} -->',
    )
    results = check_outputs(checks, '{"ok": true, "changed": false}\n{"ok": false, "changed": true}\n', {})
    assert [(r.passed, r.detail) for r in results] == [
        (True, "changed eq True: ok"),
        (False, "ok eq True: got False (in 1 of 2 documents)"),
    ]


def test_expect_output_and_variables_from_the_shell():
    checks = annotations(
        '<!-- expect-output: {"op": "contains", "value": "on ${CLUSTER}"} -->',
        '<!-- expect: {"path": "name", "op": "eq", "value": "${MISSING}"} -->',
    )
    results = check_outputs(checks, f'{{"name": "x"}}\nincident on {CLUSTER}\n', {"CLUSTER": CLUSTER})
    assert results[0].passed
    assert results[1].detail.startswith("output is not JSON")
    only_json = check_outputs(
        annotations('<!-- expect: {"path": "name", "op": "eq", "value": "${MISSING}"} -->'),
        '{"name": "x"}',
        {},
    )
    assert only_json[0].detail == "name eq '${MISSING}': variable 'MISSING' is not set"


def test_a_block_that_prints_nothing_fails_a_json_expectation():
    results = check_outputs(annotations('<!-- expect: {"path": "ok", "op": "exists"} -->'), "", {})
    assert [(r.passed, r.detail) for r in results] == [(False, "printed no JSON")]


def test_substitute_fills_nested_arguments():
    assert substitute(
        {"cluster": "${C}", "services": ["${S}", "fixed"], "n": 3}, {"C": CLUSTER, "S": "storefront"}
    ) == {"cluster": CLUSTER, "services": ["storefront", "fixed"], "n": 3}
