"""What can be found wrong in a block without running it, for every block (not-covered ones too):
bash syntax, drifted names, ``runbook_actions`` arguments, and the guide's known hazards."""

from __future__ import annotations

import re
import subprocess

from runbook_actions.cli import build_parser
from runbook_actions.exceptions import InvalidArgumentError

from .commands import Command, simple_commands
from .document import Block
from .names import PlatformNames

# The guide's versions of these steps, and why the runbook must not bring them back.
HAZARDS = (
    (
        re.compile(r"--master-user-password\b"),
        "a password on the command line lands in shell history; use python -m runbook_actions "
        "rotate-db-credentials (Secrets Manager generates it)",
    ),
    (
        re.compile(r"--secret-string\b"),
        "a secret on the command line lands in shell history; use rotate-db-credentials",
    ),
    (
        re.compile(r"##\*:\}\s*-\s*1\b"),
        "'revision - 1' can land on a deregistered or equally bad revision; use python -m "
        "runbook_actions rollback-service",
    ),
    (
        re.compile(r"--desired-count\s+0\b"),
        "scaling services to 0 one at a time lets the others keep writing; use python -m "
        "runbook_actions stop-writes",
    ),
)


def static_problems(block: Block, names: PlatformNames) -> list[str]:
    """One line per problem found without running the block; empty when it looks right."""
    problems = _bash_syntax(block.text)
    try:
        commands = simple_commands(block.text)
    except ValueError as error:
        return [block.in_file_lines(p) for p in problems + [f"cannot read the commands: {error}"]]
    problems += names.drift(commands, block.text, block.annotations.raw)
    problems += _action_arguments(commands)
    problems += [f"hazard: {why}" for pattern, why in HAZARDS if pattern.search(block.text)]
    return [block.in_file_lines(problem) for problem in problems]


def _bash_syntax(text: str) -> list[str]:
    result = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, timeout=10)
    if result.returncode == 0:
        return []
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return [f"bash syntax: {lines[0] if lines else 'rejected'}".replace("bash: ", "")]


def _action_arguments(commands: list[Command]) -> list[str]:
    """``python -m runbook_actions`` arguments, checked by the actions' own parser."""
    problems = []
    parser = None
    for command in commands:
        args = command.runbook_action_args
        if args is None:
            continue
        parser = parser or build_parser()
        try:
            parser.parse_args(args)
        except InvalidArgumentError as error:
            action = args[0] if args else "(no action)"
            problems.append(f"line {command.line}: python -m runbook_actions {action}: {error}")
    return problems
