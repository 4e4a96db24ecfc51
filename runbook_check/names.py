"""Drift: a literal name in a block that the stack config does not have.

Three checks, from the most to the least specific:

- a variable the runbook's set-up assigns (``ZELLY_CLUSTER=...``, ``AWS_REGION=...``) must hold
  exactly the stack's value, the same environment the runbook Lambdas get;
- the value after a name-bearing flag (``--cluster``, ``--services``, ``--log-group-name``,
  ``--secret-id``, ``--db-cluster-identifier`` ...) of an ``aws`` or ``runbook_actions`` command
  must be a name of that kind;
- any word that looks like a platform name (a segment equal to the stack's name stem, e.g.
  ``zelly-prod`` or ``/zelly/ecs/fastify-novaa``) must be one of the stack's names. Hostnames and
  e-mail addresses (``api.zelly.in``) are not names.

Values holding ``$`` are variables or command output and are not checked: names a procedure
creates (a restored cluster) belong in variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runbook_actions import constants
from stack_config import SEVERITIES, Platform
from stack_config.runbook_env import runbook_environment

from .commands import Command

SERVICES_VARIABLE = "ZELLY_SERVICES"  # every service of the cluster, space-separated
ENVIRONMENT_VARIABLE = "ZELLY_ENVIRONMENT"  # the Environment dimension of the platform's metrics
APP_SECRET_VARIABLE = "ZELLY_APP_SECRET_ID"  # the services' own secret (not the DB master's)
_FLAG_KINDS = {
    "--cluster": "cluster",
    "--service": "service",
    "--services": "service",
    "--service-name": "service",
    "--log-group-name": "log group",
    "--log-group": "log group",
    "--log-group-identifier": "log group",
    "--secret-id": "secret",
    "--secret-ids": "secret",
    "--db-cluster-identifier": "DB cluster",
    "--endpoint-parameter": "parameter",
    "--region": "region",
}
_NAME_RUN = re.compile(r"[A-Za-z0-9_/\-]+")
_NOT_A_NAME_NEXT_TO = ".@"  # api.zelly.in, oncall@zelly.in


@dataclass(frozen=True)
class PlatformNames:
    stack: str
    by_kind: dict[str, frozenset[str]]
    stems: frozenset[str]
    variables: dict[str, frozenset[str]]

    @classmethod
    def of(cls, platform: Platform, stack: str) -> "PlatformNames":
        aurora = platform.aurora
        log_groups = {s.log_group for s in platform.services} | {aurora.audit_log_group}
        if platform.cloudtrail_log_group:
            log_groups.add(platform.cloudtrail_log_group)
        by_kind = {
            "cluster": {platform.cluster},
            "service": set(platform.service_names),
            "log group": log_groups,
            "secret": set(platform.secrets),
            "DB cluster": {aurora.cluster_id},
            "parameter": {aurora.endpoint_parameter},
            "region": {platform.region},
            "target group": {s.target_group for s in platform.services if s.target_group},
            "topic": {platform.notifications.topic_name(s) for s in SEVERITIES}
            | {platform.notifications.p3_queue_name},
            "queue": {q.name for q in platform.queues},
        }
        variables = {name: frozenset({value}) for name, value in runbook_environment(platform).items()}
        variables.update(
            {
                constants.ENV_REGION: frozenset({platform.region}),
                constants.ENV_DEFAULT_REGION: frozenset({platform.region}),
                ENVIRONMENT_VARIABLE: frozenset({platform.environment}),
                APP_SECRET_VARIABLE: frozenset(set(platform.secrets) - {aurora.master_secret_id}),
                SERVICES_VARIABLE: frozenset(platform.service_names),
            }
        )
        stems = {_first_word(platform.cluster), _first_word(aurora.cluster_id)}
        return cls(stack, {k: frozenset(v) for k, v in by_kind.items()}, frozenset(stems), variables)

    @property
    def all_names(self) -> frozenset[str]:
        return frozenset().union(*self.by_kind.values())

    def drift(self, commands: list[Command], block_text: str, annotation_text: str) -> list[str]:
        """One line per drifted name (each name once), saying what the stack has instead."""
        found: dict[str, str] = {}
        for command in commands:
            checked = self._assignment_drift(command)
            if command.is_aws or command.runbook_action_args is not None:
                checked += self._flag_drift(command)
            for word, problem in checked:
                found.setdefault(word, f"line {command.line}: {problem}")
        for number, line in enumerate(block_text.splitlines(), start=1):
            for word, problem in self._lookalike_drift(line):
                found.setdefault(word, f"line {number}: {problem}")
        for word, problem in self._lookalike_drift(annotation_text):
            found.setdefault(word, f"annotation: {problem}")
        return list(found.values())

    def _assignment_drift(self, command: Command) -> list[tuple[str, str]]:
        problems = []
        for name, value in command.assignments:
            allowed = self.variables.get(name)
            if allowed is None or "$" in value:
                continue
            if name == SERVICES_VARIABLE:
                listed = set(value.split())
                missing, unknown = sorted(allowed - listed), sorted(listed - allowed)
                if missing or unknown:
                    problems.append(
                        (
                            value,
                            f"{name} lists unknown {', '.join(unknown) or 'none'} and "
                            f"misses {', '.join(missing) or 'none'} (stack {self.stack}: "
                            f"{', '.join(sorted(allowed))})",
                        )
                    )
            elif value not in allowed:
                problems.append((value, f"{name}={value!r} but stack {self.stack} has {_one_of(allowed)}"))
        return problems

    def _flag_drift(self, command: Command) -> list[tuple[str, str]]:
        problems = []
        words = command.words
        for index, word in enumerate(words):
            flag, _, inline = word.partition("=")
            kind = _FLAG_KINDS.get(flag)
            if kind is None:
                continue
            allowed = self.by_kind[kind]
            for value in [inline] if inline else _flag_values(words[index + 1 :]):
                if "$" not in value and value not in allowed:
                    problems.append(
                        (
                            value,
                            f"{flag} {value!r} is not a {kind} of stack {self.stack} ({_one_of(allowed)})",
                        )
                    )
        return problems

    def _lookalike_drift(self, text: str) -> list[tuple[str, str]]:
        names = self.all_names
        problems = []
        for match in _NAME_RUN.finditer(text):
            word = match.group().strip("-")
            before = text[match.start() - 1 : match.start()]
            after = text[match.end() : match.end() + 1]
            if (before and before in _NOT_A_NAME_NEXT_TO) or (after and after in _NOT_A_NAME_NEXT_TO):
                continue
            # Case-sensitive: ZELLY_CLUSTER is a shell variable, not a name.
            segments = set(re.split(r"[/_\-]", word))
            if word in names or word in self.stems or not segments & self.stems:
                continue
            problems.append(
                (
                    word,
                    f"{word!r} looks like a platform name but is not in "
                    f"Pulumi.{self.stack}.yaml; use the stack's name or a variable",
                )
            )
        return problems


def _flag_values(rest: tuple[str, ...]) -> list[str]:
    values = []
    for word in rest:
        if word.startswith("-"):
            break
        values.append(word)
    return values


def _first_word(name: str) -> str:
    return re.split(r"[^A-Za-z0-9]+", name.strip("/"))[0].lower()


def _one_of(allowed: frozenset[str]) -> str:
    names = sorted(allowed)
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)
