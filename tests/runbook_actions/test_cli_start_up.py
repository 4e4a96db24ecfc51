"""``--help`` and argument errors answer without importing boto3 or botocore (issue 13).

Importing boto3 is most of the command line's start-up (0.15-0.7 s of the 0.25-0.86 s measured),
and neither the help nor a refused argument needs it. Each case runs ``python -m runbook_actions``
in a fresh interpreter, as the on-call engineer does, and reads which modules were loaded at exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_actions import all_actions

ROOT = Path(__file__).resolve().parents[2]
MARKER = "LOADED-AWS-MODULES "
# Runs the package as ``-m`` would, then reports the AWS modules loaded, whatever the exit.
WRAPPER = f"""
import json, runpy, sys
try:
    runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
except SystemExit as exit:
    code = exit.code
else:
    code = 0
finally:
    aws = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))
    print({MARKER!r} + json.dumps(aws), file=sys.stderr)
sys.exit(code)
"""


def _quiet_environment() -> dict[str, str]:
    """The test process's environment without the variables that could fill a missing flag."""
    filled_by_env = {param.env for action in all_actions().values() for param in action.params}
    return {k: v for k, v in os.environ.items() if k not in filled_by_env and k != "RUNBOOK_ACTION"}


def run_module(module: str, *argv: str) -> tuple[int, str, str, list[str]]:
    """(exit code, stdout, stderr without the report, AWS modules loaded) of ``python -m module``."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, module, *argv],
        cwd=ROOT,
        env=_quiet_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    err, _, report = done.stderr.rpartition(MARKER)
    return done.returncode, done.stdout, err, json.loads(report)


SCALE = ["scale-service", "--cluster", "orion", "--service", "storefront"]
NO_CLUSTER = ["scale-service", "--service", "storefront", "--desired", "1"]


@pytest.mark.parametrize(
    "argv, code, text",
    [
        pytest.param(["--help"], 0, "scale-service", id="help"),
        pytest.param(["scale-service", "--help"], 0, "--desired", id="action-help"),
        pytest.param(["stop-writes", "--help"], 0, "--incident-id", id="fan-out-action-help"),
        pytest.param([], 2, "<action>", id="no-action"),
        pytest.param(["no-such-action"], 2, "invalid choice", id="unknown-action"),
        pytest.param([*SCALE, "--desired", "1", "--replicas", "2"], 2, "unrecognized", id="unknown-flag"),
        pytest.param(NO_CLUSTER, 2, "--cluster is required", id="missing-flag"),
        pytest.param([*SCALE, "--desired", "three"], 2, "expected a whole number", id="bad-number"),
        pytest.param([*SCALE, "--desired", "-1"], 2, "below the minimum", id="out-of-range"),
        pytest.param(["triage", "--cluster", "no spaces allowed"], 2, "not a valid value", id="bad-pattern"),
    ],
)
def test_help_and_argument_errors_do_not_import_boto3(argv, code, text) -> None:
    exit_code, out, err, aws_modules = run_module("runbook_actions", *argv)
    assert (exit_code, aws_modules) == (code, []), err
    assert text in out + err


def test_the_check_sees_boto3_when_an_action_builds_a_client() -> None:
    """The control: the report above would show boto3 had anything loaded it."""
    code = (
        "import sys; from runbook_actions import AwsClients; AwsClients(region='ap-south-1').get('sts'); "
        "print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True"], done.stderr
