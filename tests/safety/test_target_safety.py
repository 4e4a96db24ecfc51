"""A drill never touches production by accident: every refusal of targets.safety, shown.

The decisions are pure functions fed an injected caller identity; the command-line tests answer
STS with botocore's Stubber, so nothing here can reach a real AWS account.
"""

from __future__ import annotations

import dataclasses

import pytest
from botocore.stub import Stubber

from drills.cli import main
from runbook_actions.clients import AwsClients
from stack_config import StackConfigError, load_platform, platform_from_config
from stack_config.loader import load_stack_config
from targets import session as drill_session
from targets.safety import AwsDrillRequest, CallerIdentity, aws_refusals, production_markers
from targets.session import open_target
from tests.support.platform_names import CLUSTER, DB
from tests.support.safety_cases import ALLOWED_STAGING, MARKERS, PRODUCTION_ACCOUNT, STAGING, STAGING_ACCOUNT


def request(
    account: str = STAGING_ACCOUNT,
    platform=ALLOWED_STAGING,
    stack: str = "staging",
    confirm: str | None = STAGING_ACCOUNT,
) -> AwsDrillRequest:
    identity = CallerIdentity(account, f"arn:aws:iam::{account}:user/game-day")
    return AwsDrillRequest(identity, stack, platform, confirm, MARKERS)


def test_an_allowlisted_confirmed_staging_account_may_be_drilled() -> None:
    assert aws_refusals(request()) == []


@pytest.mark.parametrize(
    "case, expected",
    [
        (
            request(platform=load_platform("production"), stack="production"),
            "refused: stack 'production' is marked production (production: true); drills inject "
            "faults only into non-production stacks",
        ),
        (
            request(platform=dataclasses.replace(ALLOWED_STAGING, cluster=CLUSTER)),
            f"refused: ECS cluster '{CLUSTER}' of stack 'staging' is a production stack's cluster",
        ),
        (
            request(
                platform=dataclasses.replace(
                    ALLOWED_STAGING, aurora=dataclasses.replace(STAGING.aurora, cluster_id=DB)
                )
            ),
            f"refused: Aurora cluster '{DB}' of stack 'staging' is a production stack's cluster",
        ),
        (
            request(account=PRODUCTION_ACCOUNT, confirm=PRODUCTION_ACCOUNT),
            "refused: AWS account 999999999999 is marked production in the stack configs; drills "
            "never inject faults there",
        ),
        (
            request(platform=dataclasses.replace(ALLOWED_STAGING, account_id="222222222222")),
            "refused: the credentials are for AWS account 111111111111, but stack 'staging' is "
            "account 222222222222 (accountId)",
        ),
        (
            request(platform=STAGING),
            "refused: AWS account 111111111111 is not in drills.allowedAccounts of "
            "Pulumi.staging.yaml; add it there to allow fault injection",
        ),
        (
            request(confirm=None),
            "refused: pass --confirm-account 111111111111 to inject faults into AWS account 111111111111",
        ),
        (
            request(confirm="111111111112"),
            "refused: --confirm-account 111111111112 does not match the account of the credentials, "
            "111111111111",
        ),
    ],
    ids=[
        "production stack",
        "production ECS cluster",
        "production Aurora cluster",
        "production account",
        "wrong account for the stack",
        "not allowlisted",
        "not confirmed",
        "confirmed another account",
    ],
)
def test_each_refusal_is_one_clear_line(case: AwsDrillRequest, expected: str) -> None:
    refusals = aws_refusals(case)
    assert refusals[0] == expected
    assert all("\n" not in reason for reason in refusals)


def test_production_is_read_from_the_stack_configs() -> None:
    markers = production_markers()
    assert markers.stacks == {"production"}
    assert markers.clusters == {CLUSTER, DB}


def _platform_config(stack: str) -> dict:
    return dict(load_stack_config(stack)["incident-guardrails:platform"])


@pytest.mark.parametrize(
    "stack, drills, message",
    [
        (
            "production",
            {"allowedAccounts": [STAGING_ACCOUNT]},
            "platform.drills.allowedAccounts: a production stack (production: true) allows no drill accounts",
        ),
        (
            "staging",
            {"allowedAccounts": [STAGING_ACCOUNT], "productionAccounts": [STAGING_ACCOUNT]},
            "platform.drills.allowedAccounts: 111111111111 is also listed in platform.drills.productionAccounts",
        ),
        (
            "staging",
            {"allowedAccounts": [111111111111]},
            "platform.drills.allowedAccounts[0]: expected a non-empty string, got int 111111111111",
        ),
        (
            "staging",
            {"allowedAccounts": ["1111"]},
            "platform.drills.allowedAccounts[0]: '1111' is not a 12-digit AWS account id (quote it in YAML)",
        ),
        ("staging", {"allowedAcounts": []}, "platform.drills.allowedAcounts: unknown key"),
    ],
)
def test_the_drill_section_of_a_stack_config_is_validated(stack, drills, message) -> None:
    with pytest.raises(StackConfigError) as raised:
        platform_from_config({**_platform_config(stack), "drills": drills})
    assert str(raised.value).startswith(message)


@pytest.fixture
def stubbed_sts(monkeypatch):
    """--target aws gets clients whose STS answers from a Stubber; any other call fails."""
    stubbers: list[Stubber] = []
    real_clients = drill_session.default_chain_clients

    def clients_for(account: str | None):
        def build(region: str) -> AwsClients:
            clients = real_clients(region)
            stubber = Stubber(clients.sts)
            if account:
                stubber.add_response(
                    "get_caller_identity",
                    {
                        "Account": account,
                        "Arn": f"arn:aws:iam::{account}:user/game-day",
                        "UserId": "AIDAEXAMPLE",
                    },
                )
            stubber.activate()
            stubbers.append(stubber)
            return clients

        monkeypatch.setattr(drill_session, "default_chain_clients", build)

    yield clients_for
    for stubber in stubbers:
        stubber.assert_no_pending_responses()


@pytest.fixture
def allowlisted_staging(monkeypatch):
    monkeypatch.setattr("drills.cli.load_platform", lambda stack: ALLOWED_STAGING)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--stack", "staging"],
            "refused: AWS account 111111111111 is not in drills.allowedAccounts "
            "of Pulumi.staging.yaml; add it there to allow fault injection",
        ),
        (
            ["--stack", "staging", "--confirm-account", STAGING_ACCOUNT],
            "refused: AWS account 111111111111 is not in drills.allowedAccounts of Pulumi.staging.yaml; "
            "add it there to allow fault injection",
        ),
    ],
    ids=["not allowlisted", "confirmed but not allowlisted"],
)
def test_cli_refuses_an_account_the_stack_does_not_allow(
    stubbed_sts, tmp_path, capsys, argv, message
) -> None:
    stubbed_sts(STAGING_ACCOUNT)
    code = main(["run", "p0-a", "--target", "aws", "--report-dir", str(tmp_path), *argv])
    assert (code, capsys.readouterr().err) == (2, f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []  # no drill started, no report


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "refused: pass --confirm-account 111111111111 to inject faults into AWS account 111111111111"),
        (
            ["--confirm-account", "111111111112"],
            "refused: --confirm-account 111111111112 does not match the account of the credentials, "
            "111111111111",
        ),
    ],
    ids=["no confirmation", "wrong confirmation"],
)
def test_cli_refuses_an_allowlisted_account_without_its_confirmation(
    stubbed_sts, allowlisted_staging, tmp_path, capsys, argv, message
) -> None:
    stubbed_sts(STAGING_ACCOUNT)
    code = main(
        ["run", "p0-a", "--target", "aws", "--stack", "staging", "--report-dir", str(tmp_path), *argv]
    )
    assert (code, capsys.readouterr().err) == (2, f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_production_stack_is_refused_before_asking_aws_anything(stubbed_sts, capsys) -> None:
    stubbed_sts(None)  # a call to STS would fail the Stubber
    assert main(["run", "p0-a", "--target", "aws", "--confirm-account", STAGING_ACCOUNT]) == 2
    assert "refused: stack 'production' is marked production" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, environment, message",
    [
        (
            ["--target", "aws", "--stack", "staging", "--endpoint-url", "http://127.0.0.1:5000"],
            {},
            "--endpoint-url is for emulator targets; --target aws uses AWS's own endpoints",
        ),
        (
            ["--target", "aws", "--stack", "staging"],
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
            "AWS_ENDPOINT_URL is set (http://127.0.0.1:4566); unset it: --target aws uses AWS's own endpoints",
        ),
        (
            ["--endpoint-url", "https://ecs.ap-south-1.amazonaws.com"],
            {},
            "endpoint https://ecs.ap-south-1.amazonaws.com is AWS itself, not an emulator; to drill a "
            "real account use --target aws and its checks",
        ),
        (
            ["--target", "localstack"],
            {"AWS_ENDPOINT_URL": "https://sts.amazonaws.com"},
            "endpoint https://sts.amazonaws.com is AWS itself, not an emulator; to drill a real "
            "account use --target aws and its checks",
        ),
        (
            ["--endpoint-url", "127.0.0.1:5000"],
            {},
            "endpoint '127.0.0.1:5000' is not an http(s) URL with a host",
        ),
        (
            ["--confirm-account", STAGING_ACCOUNT],
            {},
            "--confirm-account is for --target aws; target local is an emulator and needs no confirmation",
        ),
    ],
    ids=[
        "aws with an endpoint",
        "aws with AWS_ENDPOINT_URL",
        "local at AWS",
        "localstack at AWS",
        "endpoint without a scheme",
        "confirmation for an emulator",
    ],
)
def test_targets_are_refused_with_options_that_do_not_fit(
    monkeypatch, capsys, tmp_path, argv, environment, message
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["run", "p0-a", "--report-dir", str(tmp_path), *argv]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_an_allowed_account_gets_default_chain_credentials_and_no_reseeding(stubbed_sts) -> None:
    stubbed_sts(STAGING_ACCOUNT)
    with open_target("aws", ALLOWED_STAGING, stack="staging", confirm_account=STAGING_ACCOUNT) as session:
        assert session.target.name == "aws" and session.target.endpoint_url is None
        assert session.clients.endpoint_url is None
        # The credential chain found them (here: the test environment), never the emulator's
        # explicitly passed dummy pair.
        assert session.clients.sts._request_signer._credentials.method == "env"
        assert session.prepare(ALLOWED_STAGING) is None  # a real account is never reset


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_SSM"])
def test_a_real_account_ignores_per_service_endpoint_variables(monkeypatch, variable) -> None:
    """One service sent elsewhere (STS to an emulator that names any account) would let the
    production-account check judge an account the faults never touch."""
    monkeypatch.setenv(variable, "http://127.0.0.1:5123")
    clients = drill_session.default_chain_clients("ap-south-1")
    service = variable.removeprefix("AWS_ENDPOINT_URL_").lower()
    assert clients.get(service).meta.endpoint_url == f"https://{service}.ap-south-1.amazonaws.com"
