"""Check what a block says it does: its printed JSON or text, and the state it left behind."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drills.expectations import Expectation, evaluate
from runbook_actions import AwsClients

from .annotations import OUTPUT_PATH, VARIABLE, Annotations, StateCheck


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    detail: str


def json_documents(text: str) -> list[Any]:
    """Every JSON value printed, indented or one per line; ValueError naming the first non-JSON."""
    decoder = json.JSONDecoder()
    documents, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return documents
        try:
            document, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            line = text[index:].splitlines()[0]
            raise ValueError(f"output is not JSON from {line[:60]!r} on") from None
        documents.append(document)


def check_outputs(annotations: Annotations, stdout: str, variables: dict[str, str]) -> list[CheckResult]:
    results = [_evaluate(e, {OUTPUT_PATH: stdout}, variables) for e in annotations.expect_output]
    if not (annotations.expect or annotations.expect_each):
        return results
    try:
        documents = json_documents(stdout)
    except ValueError as error:
        return results + [CheckResult(False, str(error))]
    if not documents:
        return results + [CheckResult(False, "printed no JSON")]
    results += [_evaluate(e, documents[-1], variables) for e in annotations.expect]
    for expectation in annotations.expect_each:
        failed = [r for r in (_evaluate(expectation, d, variables) for d in documents) if not r.passed]
        results.append(
            CheckResult(False, f"{failed[0].detail} (in {len(failed)} of {len(documents)} documents)")
            if failed
            else CheckResult(True, f"{expectation.describe()}: ok in all {len(documents)} documents")
        )
    return results


def check_state(
    checks: tuple[StateCheck, ...], clients: AwsClients, variables: dict[str, str]
) -> list[CheckResult]:
    results = []
    for check in checks:
        try:
            args = substitute(check.args, variables)
            response = getattr(clients.get(check.service), check.operation)(**args)
        except KeyError as error:
            results.append(CheckResult(False, f"{check.describe()}: variable {error} is not set"))
            continue
        except AttributeError:
            results.append(CheckResult(False, f"{check.service} has no read {check.operation!r}"))
            continue
        except (ClientError, BotoCoreError) as error:
            results.append(CheckResult(False, f"{check.describe()}: {_one_line(error)}"))
            continue
        result = _evaluate(check.expectation, response, variables)
        results.append(
            CheckResult(result.passed, f"state {check.service}.{check.operation}: {result.detail}")
        )
    return results


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """Fill ``${NAME}`` from the block's shell variables; KeyError names a missing one."""
    if isinstance(value, str):
        return VARIABLE.sub(lambda m: variables[m.group(1)], value)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def _evaluate(expectation: Expectation, data: Any, variables: dict[str, str]) -> CheckResult:
    try:
        expectation = Expectation(expectation.path, expectation.op, substitute(expectation.value, variables))
    except KeyError as error:
        return CheckResult(False, f"{expectation.describe()}: variable {error} is not set")
    passed, detail = evaluate(expectation, data)
    return CheckResult(passed, detail)


def _one_line(error: Exception) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()
