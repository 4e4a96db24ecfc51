"""Run one procedure: a freshly seeded emulator, one bash session, its blocks in order.

A block that fails ends its procedure (later blocks depend on it, as they would for a person);
the blocks after it are reported as not run. Set-up blocks of other sections run first, as a
person runs them once per shell.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from drills import activities
from drills.context import DrillContext
from drills.redaction import Redactor
from stack_config import PROJECT_ROOT, Platform
from targets.session import TargetSession

from .document import Block, Procedure
from .results import FAILED, NOT_COVERED, NOT_RUN, PASSED, BlockResult
from .shell import BlockRun, ShellSession
from .verify import check_outputs, check_state

_SECRET_FIELD = re.compile(r"password|secret|key|token|private", re.I)
_SCRIPT_PATH = re.compile(r"\S*/block-\d+\.sh: ")
_STDERR_NOISE = ("Note: AWS CLI version 2", "usage:", "To see help text", "aws help", "aws <command>")


@dataclass(frozen=True)
class CheckSettings:
    platform: Platform
    stack: str
    static_problems: dict[tuple[str, int], list[str]]  # (section, number) -> problems
    setup_blocks: tuple[Block, ...]
    redactor: Redactor
    stop: threading.Event = field(default_factory=threading.Event)  # set on Ctrl-C / SIGTERM


def shell_environment(endpoint_url: str, home: Path) -> dict[str, str]:
    """A clean environment: the emulator, dummy credentials, no profile or config of the user's,
    and this virtualenv's ``aws`` and ``python`` first on PATH."""
    venv_bin = Path(sys.executable).parent
    (home / "aws-config").write_text("", encoding="utf-8")
    return {
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-config"),
        # Fail fast on an emulator that does not answer an API, instead of retrying for seconds.
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "2",
    }


def run_procedure(procedure: Procedure, session: TargetSession, settings: CheckSettings) -> list[BlockResult]:
    with tempfile.TemporaryDirectory(prefix="runbook-check-") as workdir:
        env = shell_environment(session.target.endpoint_url or "", Path(workdir))
        shell = ShellSession(env, PROJECT_ROOT, Path(workdir))
        try:
            return _ProcedureRun(procedure, session, settings, shell).run()
        finally:
            shell.close()


class _ProcedureRun:
    def __init__(
        self, procedure: Procedure, session: TargetSession, settings: CheckSettings, shell: ShellSession
    ) -> None:
        self.procedure, self.session, self.settings, self.shell = procedure, session, settings, shell
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        self.ctx = DrillContext(
            platform=settings.platform,
            clients=session.clients,
            target=session.target,
            stack=settings.stack,
            run_id=f"runbook-{stamp}-{secrets.token_hex(2)}",
            incident_id=f"RUNBOOK-{stamp}",
            redactor=settings.redactor,
        )

    def run(self) -> list[BlockResult]:
        stopped = self._start()
        results = []
        for block in self.procedure.blocks:
            if self.settings.stop.is_set():
                stopped = stopped or "the check was interrupted"
            problems = self._problems(block)
            if stopped:
                # What is wrong without running is reported even where nothing runs.
                results.append(
                    BlockResult.of(block, FAILED, "; ".join(problems))
                    if problems
                    else BlockResult.of(block, NOT_RUN, stopped)
                )
                continue
            result = self._block(block)
            results.append(result)
            if result.status == FAILED:
                stopped = f"block {block.number} of this procedure failed"
        return results

    def _start(self) -> str:
        """Seed a fresh platform and run the other sections' set-up blocks, as a person does
        once per shell; why the procedure cannot start, or ""."""
        setup = [b for b in self.settings.setup_blocks if b.section != self.procedure.title]
        for block in setup:
            if self._problems(block):
                return f"the set-up block ({block.label}) failed"
        seeded = self.session.prepare(self.settings.platform)
        for value in seeded.secret_values if seeded else []:
            self.settings.redactor.add(value)
        for block in setup:
            if not self.shell.run(block.text, block.annotations.timeout_s).ok:
                return f"the set-up block ({block.label}) failed"
        return ""

    def _problems(self, block: Block) -> list[str]:
        return self.settings.static_problems[(block.section, block.number)]

    def _block(self, block: Block) -> BlockResult:
        problems = self._problems(block)
        if problems:
            return BlockResult.of(block, FAILED, "; ".join(problems))
        annotations = block.annotations
        if annotations.not_covered is not None:
            return BlockResult.of(block, NOT_COVERED, annotations.not_covered)
        gaps = [gap for capability in annotations.requires if (gap := self.session.target.lacks(capability))]
        if gaps:
            return self._arguments_only(block, gaps)
        try:
            givens = self._inject_givens(block)
        except Exception as error:  # a fault is drill code: any error is a failed precondition
            return BlockResult.of(block, FAILED, f"given: {type(error).__name__}: {error}")
        run = self.shell.run(block.text, annotations.timeout_s)
        return self._judge(block, run, givens)

    def _arguments_only(self, block: Block, gaps: list[str]) -> BlockResult:
        run = self.shell.run(block.text, block.annotations.timeout_s, parse_only=True)
        if not run.ok:
            return BlockResult.of(
                block, FAILED, f"arguments rejected: {self._failure(run, block)}", run.duration_s
            )
        return BlockResult.of(
            block,
            NOT_COVERED,
            f"{'; '.join(gaps)} (nothing sent; the AWS CLI "
            "and runbook_actions parsers accepted the arguments)",
            run.duration_s,
        )

    def _inject_givens(self, block: Block) -> list[str]:
        notes = []
        for given in block.annotations.given:
            fault = activities.faults()[given.fault]
            # No journal: each section runs on an emulator that is reset before the next one.
            state = fault.inject(self.ctx, fault.plan(self.ctx, **given.args), **given.args)
            outputs = {name.upper(): str(value) for name, value in state.get("outputs", {}).items()}
            self.shell.export(outputs)
            notes.append(
                f"given {given.fault}: {state.get('summary', 'injected')}"
                + (f" (sets {', '.join(sorted(outputs))})" if outputs else "")
            )
        return notes

    def _judge(self, block: Block, run: BlockRun, notes: list[str]) -> BlockResult:
        self._learn_current_secrets()
        redactor = self.settings.redactor
        if redactor.contains_secret(run.stdout + run.stderr):
            return BlockResult.of(
                block,
                FAILED,
                "printed a secret value (redacted here); a runbook step must never show one",
                run.duration_s,
                notes,
            )
        if not run.ok:
            return BlockResult.of(block, FAILED, self._failure(run, block), run.duration_s, notes)
        annotations = block.annotations
        variables = self.shell.variables(annotations.variables_used())
        checks = check_outputs(annotations, run.stdout, variables) + check_state(
            annotations.expect_state, self.session.clients, variables
        )
        details = [redactor.redact(text, "runbook report") for text in notes + [c.detail for c in checks]]
        failed = [redactor.redact(c.detail, "runbook report") for c in checks if not c.passed]
        if failed:
            return BlockResult.of(
                block, FAILED, "expectation failed: " + "; ".join(failed), run.duration_s, details
            )
        return BlockResult.of(block, PASSED, "", run.duration_s, details)

    def _failure(self, run: BlockRun, block: Block) -> str:
        if run.exit_code is None:
            return f"timed out after {block.annotations.timeout_s:g}s"
        lines = [
            line.strip()
            for line in run.stderr.splitlines()
            if line.strip() and not line.strip().startswith(_STDERR_NOISE)
        ]
        where = f" at {_shorten(run.failed_line, 120)}" if run.failed_line else ""
        message = f"exit {run.exit_code}{where}" + (f": {_shorten(lines[-1], 300)}" if lines else "")
        return self.settings.redactor.redact(
            block.in_file_lines(_SCRIPT_PATH.sub("", message)), "runbook report"
        )

    def _learn_current_secrets(self) -> None:
        """Rotation makes new secret values; they must not be printed either."""
        manager = self.session.clients.secretsmanager
        for secret_id in self.settings.platform.secrets:
            for stage in ("AWSCURRENT", "AWSPENDING"):
                try:
                    text = manager.get_secret_value(SecretId=secret_id, VersionStage=stage)["SecretString"]
                except ClientError:  # no such stage (or secret): nothing to learn
                    continue
                for value in _secret_strings(text):
                    self.settings.redactor.add(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _secret_strings(text: str, key: str = "") -> list[str]:
    """The secret's whole text and every field that names a secret (password, key, token),
    nested JSON included; usernames and cluster names are not secrets and stay readable."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        return [text] if not key or _SECRET_FIELD.search(key) else []
    values = [text] if not key or _SECRET_FIELD.search(key) else []
    if isinstance(data, dict):
        for name, value in data.items():
            if isinstance(value, str):
                values += _secret_strings(value, name)
    return values
