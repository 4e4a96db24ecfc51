"""Every mutating action is idempotent: a second run with the same arguments changes nothing.

Each runs its valid case (tests/support/action_cases.py) twice on the seeded emulator; the second run
must report changed=false and leave the emulator state exactly as the first left it.
"""

from __future__ import annotations

import pytest

from runbook_actions.invoke import invoke
from tests.support.action_cases import default_case, emulator_state, mutating_actions


@pytest.mark.parametrize("name", mutating_actions())
def test_a_second_run_changes_nothing(name, clients, seeded, pinned_minute) -> None:
    case = default_case(name)
    case.prepare(clients)
    arguments = case.arguments(clients)
    first = invoke(name, clients, arguments)
    assert first.ok and first.changed, first.details
    after_first = emulator_state(clients)
    second = invoke(name, clients, arguments)
    assert second.ok and second.changed is False, second.details
    assert emulator_state(clients) == after_first
