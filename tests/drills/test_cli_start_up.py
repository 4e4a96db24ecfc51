"""``python -m drills --help`` and refused arguments answer without importing boto3 (issue 13).

Each case runs ``python -m drills`` in a fresh interpreter, as the on-call engineer does, and reads
which AWS SDK modules were loaded at exit. The help and the refused arguments load neither boto3
nor botocore (``run``'s ``--journal-dir`` comes from the import-light ``drills.cli_options``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drills.cli import build_parser

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
NEITHER = ("boto3", "botocore")


def run_drills(*argv: str) -> tuple[int, str, str, list[str]]:
    """(exit code, stdout, stderr without the report, AWS modules loaded) of ``python -m drills``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, "drills", *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    err, _, report = done.stderr.rpartition(MARKER)
    return done.returncode, done.stdout, err, json.loads(report)


@pytest.mark.parametrize(
    "argv, code, text, not_loaded",
    [
        pytest.param(["--help"], 0, "gameday", NEITHER, id="help"),
        pytest.param([], 2, "<command>", NEITHER, id="no-command"),
        pytest.param(["no-such-command"], 2, "invalid choice", NEITHER, id="unknown-command"),
        pytest.param(["seed", "--help"], 0, "--endpoint-url", NEITHER, id="seed-help"),
        pytest.param(
            ["preflight", "--target", "nowhere"], 2, "invalid choice", NEITHER, id="preflight-bad-target"
        ),
        pytest.param(["run", "--help"], 0, "--journal-dir", NEITHER, id="run-help"),
        pytest.param(["run"], 2, "required: scenario", NEITHER, id="run-missing-scenario"),
        pytest.param(
            ["run", "p0-a", "--target", "nowhere"], 2, "invalid choice", NEITHER, id="run-bad-target"
        ),
        pytest.param(["run", "p0-a", "--replicas", "2"], 2, "unrecognized", NEITHER, id="run-unknown-flag"),
    ],
)
def test_help_and_argument_errors_do_not_import_boto3(argv, code, text, not_loaded) -> None:
    exit_code, out, err, aws_modules = run_drills(*argv)
    assert exit_code == code, err
    assert [m for m in aws_modules if m.split(".")[0] in not_loaded] == []
    assert text in out + err


def test_the_top_level_help_lists_every_command_as_its_own_parser_does() -> None:
    """Commands whose parsers are built only when named are listed with their modules' help."""
    assert build_parser([]).format_help() == build_parser(["run", "recover", "gameday", "ack"]).format_help()


def test_the_check_sees_boto3_when_a_target_builds_a_client() -> None:
    """The control: the report above would show boto3 had anything loaded it."""
    code = (
        "import sys; from targets.session import emulator_clients; "
        "emulator_clients('http://127.0.0.1:9', 'ap-south-1').get('sts'); "
        "print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True"], done.stderr
