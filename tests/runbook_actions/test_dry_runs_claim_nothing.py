"""A dry run claims nothing: every mutating action, run with dry_run=True on the seeded emulator,
reports changed=false and dry_run=true, says what it would do only under ``would_*`` keys, has no
field anywhere in its details that claims a change, and leaves the emulator exactly as it was.

Found by a user (issue 14): ``stop-writes --dry-run`` printed ``"record": "created"`` and
``cutover --dry-run`` ``"parameter_rewritten": true``.

The claims are the past-tense fields the actions' real runs report (read from each action's
non-dry-run details): a key below holding a truthy value (true, a non-empty list or mapping, a
string such as an id or a time), or any string value below, outside a ``would_*`` key. Every case
of tests/support/action_cases.py is run (all variants); a mutating action without a case fails.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from runbook_actions.invoke import invoke
from tests.support.action_cases import CASES, ActionCase, emulator_state, mutating_actions

# Keys a real run uses to say what it did (stop-writes, restore-writes, cutover, redeploy-all,
# rollback-service, scale-service, snapshot-cluster, restore-cluster, rotate-db-credentials,
# deactivate-access-key, post-status), and the generic past tenses a new action would use.
CLAIM_KEYS = frozenset(
    {
        "changed",
        "record",
        "recorded",
        "parameter_rewritten",
        "rewritten",
        "redeployed",
        "stopped",
        "restored",
        "lifted",
        "fenced",
        "fenced_at",
        "scaled",
        "rolled_back",
        "rotated",
        "deactivated",
        "posted",
        "posted_at",
        "message_id",
        "new_version_id",
        "deployment_after",
        "snapshot_arn",
        "done",
        "deleted",
        "updated",
        "updated_at",
    }
)
# Any key ending in one of these claims too (``*_rewritten: true``, ``services_stopped: [...]``).
CLAIM_SUFFIXES = ("_rewritten", "_redeployed", "_stopped", "_restored", "_rotated", "_deactivated", "_posted")
# Values that claim whatever key holds them: stop-writes' ``record: created|kept|reopened``,
# restore-writes' ``record: marked restored``, and the like.
CLAIM_VALUES = frozenset(
    {
        "created",
        "kept",
        "reopened",
        "marked restored",
        "rewritten",
        "stopped",
        "restored",
        "rotated",
        "deactivated",
        "redeployed",
        "posted",
        "scaled",
        "rolled back",
        "lifted",
        "fenced",
        "updated",
        "deleted",
        "Inactive",
    }
)
# Keys that look like claims but are facts about what exists (not something this run did).
NOT_CLAIMS = {
    # deactivate-access-key: when the key was created (a time), not that this run created it.
    ("deactivate-access-key", "created"),
}


def _claims(action: str, value: Any, path: str = "details") -> Iterator[str]:
    """Every place in ``value`` (a dry run's details) that claims a change, as ``path: value``."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.startswith("would_") or key == "would":
                continue  # a plan, which may use any word
            where = f"{path}.{key}"
            claim_key = key in CLAIM_KEYS or key.endswith(CLAIM_SUFFIXES)
            if claim_key and (action, key) not in NOT_CLAIMS and _truthy(inner):
                yield f"{where}: {inner!r}"
                continue
            yield from _claims(action, inner, where)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _claims(action, inner, f"{path}[{i}]")
    elif isinstance(value, str) and (value in CLAIM_VALUES or value.split(";")[0] in CLAIM_VALUES):
        yield f"{path}: {value!r}"


def _truthy(value: Any) -> bool:
    return (
        value is not None
        and value is not False
        and value != 0
        and value != ""
        and value != []
        and value != {}
    )


def _plans(value: Any) -> list[str]:
    """The keys anywhere in ``value`` that hold a plan (not false or empty): ``would_*``, and
    ``would`` (rotate-db-credentials' steps) or ``plan`` (restore-cluster's API call)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if (key.startswith("would_") or key in ("would", "plan")) and _truthy(inner):
                found.append(key)
            found += _plans(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _plans(inner)
    return found


def _case_ids() -> list[str]:
    return [case.id for case in CASES if case.action in mutating_actions()]


def test_every_mutating_action_has_a_case() -> None:
    """A new mutating action cannot escape the dry-run check: it fails here until it has a case."""
    covered = {case.action for case in CASES}
    missing = sorted(set(mutating_actions()) - covered)
    assert not missing, f"mutating actions without a case in tests/support/action_cases.py: {missing}"


def test_the_claim_check_finds_the_reported_claims() -> None:
    """The check itself flags what the user saw, and passes plans and facts."""
    assert list(_claims("stop-writes", {"record": "created"})) == ["details.record: 'created'"]
    assert list(_claims("cutover", {"parameter_rewritten": True})) == ["details.parameter_rewritten: True"]
    assert list(_claims("x", {"a": [{"services_stopped": ["s"]}]})) == [
        "details.a[0].services_stopped: ['s']"
    ]
    assert list(_claims("x", {"note": "kept; added late-worker"})) == [
        "details.note: 'kept; added late-worker'"
    ]
    assert not list(_claims("cutover", {"parameter_rewritten": False, "would_rewrite_parameter": True}))
    assert not list(_claims("stop-writes", {"would_record_as": "create", "would_fence": {"kept": [1]}}))
    assert not list(_claims("deactivate-access-key", {"keys": [{"created": "2026-11-29T00:00:00Z"}]}))


@pytest.mark.parametrize("case_id", _case_ids())
def test_a_dry_run_claims_nothing_and_changes_nothing(case_id: str, clients, seeded) -> None:
    case: ActionCase = next(c for c in CASES if c.id == case_id)
    case.prepare(clients)
    arguments = case.arguments(clients)
    before = emulator_state(clients)

    result = invoke(case.action, clients, arguments, dry_run=True)

    assert result.ok, result.details
    assert (result.changed, result.dry_run) == (False, True), result.details
    claims = list(_claims(case.action, result.details))
    assert not claims, f"{case.id} --dry-run claims changes it did not make: {claims}"
    # The valid case plans a change (it changes the emulator when run for real), and says so.
    assert result.details.get("would_change") is True, result.details
    top_level = {key: value for key, value in result.details.items() if key != "would_change"}
    assert _plans(top_level), (
        f"{case.id} --dry-run names no planned change under a would_* key: {result.details}"
    )
    assert emulator_state(clients) == before, f"{case.id} --dry-run changed the emulator"
