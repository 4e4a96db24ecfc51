"""The game-day banner's shell block works as pasted (issue 14).

It used to say ``export AWS_ENDPOINT_URL=...; python -m runbook_actions ...``, which answers
``no AWS credentials found`` until dummy credentials are exported too. The block is taken from the
banner, as a responder would copy it, and run by bash with none of the AWS or Zelly variables set.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from drills.gameday import SHELL_BEGIN, SHELL_END, responder_commands

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parents[2]


def _block(banner: str) -> str:
    lines = banner.splitlines()
    return "\n".join(lines[lines.index(SHELL_BEGIN) + 1 : lines.index(SHELL_END)]) + "\n"


def _clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ZELLY_", "BOTO"))}


def test_the_pasted_block_runs_triage_against_the_emulator(seeded_emulator, platform) -> None:
    banner = responder_commands(seeded_emulator.endpoint_url, platform.region, platform.cluster)
    block = _block(banner)
    assert "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing" in block
    done = subprocess.run(
        ["bash", "-euo", "pipefail"],
        input=block,
        cwd=ROOT,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["action"] == "triage" and result["ok"] is True, result
    assert {s["name"] for s in result["details"]["services"]} >= set(platform.service_names)


def test_on_aws_the_block_exports_no_dummy_credentials() -> None:
    block = _block(responder_commands(None, "ap-south-1", "zelly-production"))
    assert "AWS_ACCESS_KEY_ID" not in block and "AWS_ENDPOINT_URL" not in block
    assert block.startswith("export AWS_DEFAULT_REGION=ap-south-1 ZELLY_CLUSTER=zelly-production\n")
