"""No secret value a drill knows appears in any report, post-mortem, log line or output of any drill.

``python -m drills run all`` runs in this process (its entry point, ``drills.cli.main``) against
the session's emulator, so the test sees every secret the drills know, not only those left in
the emulator at the end: each drill resets the emulator and seeds fresh random secrets, and
faults learn more (a leaked access key's secret, the leaked password). Every value the drills
handed to their redactor is collected, plus every version of every secret left in the emulator.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from drills import redaction
from drills.cli import main
from drills.scenario import load_scenarios

pytestmark = pytest.mark.emulator


@pytest.fixture
def known_secrets(monkeypatch) -> set[str]:
    """Every value any drill's redactor was given (seeded secrets and those faults learn)."""
    known: set[str] = set()
    add = redaction.Redactor.add

    def noting(redactor: redaction.Redactor, value: str) -> None:
        known.add(value)
        add(redactor, value)

    monkeypatch.setattr(redaction.Redactor, "add", noting)
    return known


def test_no_drill_leaks_a_secret_anywhere(
    moto_server, emulator_secret_values, known_secrets, tmp_path: Path, capfd, caplog
) -> None:
    caplog.set_level(logging.INFO)
    for logger in ("drills", "runbook_actions"):
        caplog.set_level(logging.DEBUG, logger=logger)
    code = main(
        ["run", "all", "--endpoint-url", moto_server.endpoint_url, "--report-dir", str(tmp_path / "reports")]
    )
    out, err = capfd.readouterr()
    assert code == 0, err
    reports = sorted((tmp_path / "reports").rglob("*"))
    assert {p.name for p in reports} >= {
        f"{s}{suffix}" for s in load_scenarios() for suffix in (".json", "-postmortem.md")
    }
    secrets = known_secrets | set(emulator_secret_values(moto_server.endpoint_url))
    # Per drill: 4 seeded values; P0-C adds the leaked key's secret and the rotated password.
    assert len(secrets) >= 4 * len(load_scenarios()) + 2
    places = {
        "stdout": out,
        "stderr": err,
        "log": caplog.text,
        **{str(p.relative_to(tmp_path)): p.read_text() for p in reports if p.is_file()},
    }
    leaks = sorted({place for place, text in places.items() for secret in secrets if secret in text})
    assert leaks == [], f"{len(secrets)} secret values scanned; found in: {leaks}"
