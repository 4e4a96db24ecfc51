"""Bad input to every runbook action, through the command line and the Lambda handler.

Contract (README "Runbook actions"): a malformed argument, one that can be judged without asking
AWS, is refused with exit code 2 (InvalidArgumentError in Lambda) and one stderr line naming the
parameter and the value, before any AWS call, so nothing changes. A well-formed name that AWS
does not know (an unknown service or cluster) is a failure of the run, exit 1 (NotFoundError):
only reads were made. Never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook_actions import all_actions, get_action
from runbook_actions.cli import main
from runbook_actions.common_params import ECS_NAME
from runbook_actions.exceptions import InvalidArgumentError
from runbook_actions.lambda_handler import handler
from runbook_actions.params import Param
from tests.support.action_cases import CLUSTER, DB, INCIDENT, PLATFORM, RESTORED, default_case, emulator_state
from tests.support.bad_input import PROPERTY_SETTINGS, cli_arguments, invalid_values, names_the_value
from tests.support.call_recording import RecordingClients, is_read

ACTIONS = sorted(all_actions())


def valid_arguments(name: str) -> dict[str, Any]:
    """Arguments that pass validation: the action's valid case, with a fixed restore time
    instead of --latest so that every restore-cluster parameter can be the bad one."""
    if name == "restore-cluster":
        return {
            "source": DB,
            "target": RESTORED,
            "incident_id": INCIDENT,
            "restore_time": "2026-11-26T02:55:00Z",
        }
    return default_case(name).arguments(None)


@pytest.fixture(scope="module")
def recording() -> RecordingClients:
    return RecordingClients("ap-south-1")


@pytest.fixture
def no_calls(moto_backend, recording, monkeypatch) -> RecordingClients:
    """Every client the CLI or Lambda builds notes its calls (on an emulator, in case one is
    made): refused input must make none, so it cannot have changed anything."""
    monkeypatch.setattr("runbook_actions.cli.AwsClients", lambda **_: recording)
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", recording)
    recording.take()
    return recording


@pytest.fixture
def unchanged(clients, seeded, no_calls):
    """As ``no_calls``, on the seeded platform, whose state must be the same afterwards."""
    before = emulator_state(clients)
    yield no_calls
    assert emulator_state(clients) == before


def draw_bad_argument(data: st.DataObject, name: str, *, cli: bool) -> tuple[Param, Any]:
    """One of the action's parameters and an invalid value for it (a command-line flag of
    kind bool carries no value, so it cannot be bad there)."""
    params = [p for p in get_action(name).params if not (cli and p.kind is bool)]
    param = data.draw(st.sampled_from(params), label="parameter")
    return param, data.draw(invalid_values(param, cli=cli), label="value")


def one_line_error(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("error: ") and "Traceback" not in err
    return err[len("error: ") : -1]


@pytest.mark.parametrize("name", ACTIONS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_bad_command_line_argument_is_refused_in_one_line(name, data, no_calls, capsys, tried) -> None:
    tried()
    param, value = draw_bad_argument(data, name, cli=True)
    arguments = {**valid_arguments(name), param.name: [value] if param.multiple else value}
    code = main([name, *cli_arguments(arguments, get_action(name).params)])
    out, err = capsys.readouterr()
    message = one_line_error(err)
    assert code == 2, message
    assert names_the_value(message, param.flag, value), message
    assert json.loads(out)["ok"] is False
    assert no_calls.take() == set()  # refused before any AWS call


@pytest.mark.parametrize("name", ACTIONS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_bad_lambda_event_value_raises_invalid_argument(name, data, no_calls, monkeypatch, tried) -> None:
    tried()
    monkeypatch.setenv("RUNBOOK_ACTION", name)
    param, value = draw_bad_argument(data, name, cli=False)
    with pytest.raises(InvalidArgumentError) as raised:
        handler({**valid_arguments(name), param.name: value})
    message = str(raised.value)
    assert "\n" not in message and names_the_value(message, param.flag, value), message
    assert no_calls.take() == set()


EVENT_SHAPES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(
        st.text(min_size=1, max_size=12).filter(
            lambda k: (
                k not in {p.name for a in all_actions().values() for p in a.params} | {"action", "dry_run"}
            )
        ),
        st.integers(),
        min_size=1,
        max_size=2,
    ),
    st.fixed_dictionaries({"dry_run": st.one_of(st.integers(), st.text(max_size=5), st.none())}),
    st.fixed_dictionaries({"action": st.text(max_size=20).filter(lambda a: a != "scale-service")}),
)


@PROPERTY_SETTINGS
@given(event=EVENT_SHAPES)
def test_a_malformed_lambda_event_raises_invalid_argument(tried, event, no_calls, monkeypatch) -> None:
    # (``tried`` first: hypothesis probes the first argument for mocks with hasattr, which
    # AwsClients answers by building a client of that name.)
    tried()
    monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
    with pytest.raises(InvalidArgumentError) as raised:
        handler(event)
    message = str(raised.value)
    assert "\n" not in message and named_in_the_error(event) in message, message
    assert no_calls.take() == set()


def named_in_the_error(event: Any) -> str:
    if not isinstance(event, dict):
        return type(event).__name__
    for key in ("dry_run", "action"):
        if key in event:
            return repr(event[key])[:20]
    return repr(sorted(event)[0])


NOT_FOUND = [
    ("rollback-service", "service"),
    ("scale-service", "service"),
    ("triage", "services"),
    ("redeploy-all", "services"),
    ("scale-service", "cluster"),
]


@pytest.mark.parametrize("name, parameter", NOT_FOUND)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_an_unknown_service_or_cluster_is_not_found_with_exit_1(
    name, parameter, data, unchanged, capsys, tried
) -> None:
    tried()
    existing = set(PLATFORM.service_names) | {CLUSTER}
    unknown = data.draw(
        st.from_regex(ECS_NAME, fullmatch=True).filter(lambda t: t not in existing), label="unknown name"
    )
    arguments = {**valid_arguments(name), parameter: [unknown] if parameter == "services" else unknown}
    code = main([name, *cli_arguments(arguments, get_action(name).params)])
    message = one_line_error(capsys.readouterr().err)
    assert code == 1 and unknown in message, message
    assert all(is_read(call) for call in unchanged.take())
