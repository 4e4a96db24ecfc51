"""An emulator endpoint is judged by the host an HTTP client would really connect to.

botocore and urllib3 percent-decode and IDNA-encode the host (IDNA maps U+FF0E and U+3002 to
"."), resolvers ignore a trailing dot and letter case, and ``user@host`` connects to ``host``:
every such spelling of an AWS endpoint is refused, by every command that takes an endpoint.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.cli import main as drills_main
from runbook_check.cli import main as runbook_check_main
from targets.safety import UnsafeTargetError, check_emulator_endpoint
from targets.target import localstack_endpoint

AWS_SPELLINGS = [
    "https://ecs.ap-south-1.amazonaws.com",
    "https://ecs.ap-south-1.amazonaws.com%2e",
    "https://ecs.ap-south-1.amazonaws.com%2E",
    "https://ecs.ap-south-1.amazonaws%2ecom",
    "https://ecs.ap-south-1.amazonaws.com%252e",  # double-encoded
    "https://ecs.ap-south-1.amazonaws.com%25252E",  # triple-encoded
    "https://%65cs.ap-south-1.amazonaws.com",  # an encoded letter
    "https://ECS.AP-SOUTH-1.AMAZONAWS.COM",
    "https://ecs.ap-south-1.amazonaws.com.",
    "https://ecs.ap-south-1.amazonaws.com..",
    "https://ecs.ap-south-1.amazonaws.com.:443/",
    "https://ecs.ap-south-1.amazonaws\uff0ecom",  # fullwidth full stop
    "https://ecs.ap-south-1.amazonaws\u3002com",  # ideographic full stop
    "https://ecs.ap-south-1.amazonaws\uff61com",  # halfwidth ideographic full stop
    "https://ecs.ap-south-1.amazonaws%EF%BC%8Ecom",  # U+FF0E, percent-encoded
    "https://\uff45\uff43\uff53.ap-south-1.amazonaws.com",  # fullwidth letters
    "https://ecs.ap-south-1.amazonaws.com%3a443",
    "https://sts.amazonaws.com.cn",
    "https://ecs.ap-south-1.api.aws",
    "https://abc.lambda-url.ap-south-1.on.aws",
    "HTTPS://ecs.ap-south-1.amazonaws.com",
]

OTHER_REFUSALS = [
    ("http://127.0.0.1@ecs.amazonaws.com", "has user information before its host"),
    ("http://127.0.0.1:4566@ecs.amazonaws.com", "has user information before its host"),
    ("http://127.0.0.1%40ecs.amazonaws.com", "has user information before its host"),
    ("http://[::1]@ecs.amazonaws.com", "has user information before its host"),
    ("http://127.0.0.1\\@ecs.amazonaws.com", "has user information before its host"),
    ("http://ecs.amazonaws.com%2f.localhost", "has characters not valid in a host name"),
    ("http://ecs.amazonaws.com%00.localhost", "has characters not valid in a host name"),
    ("http://local%20host:4566", "has characters not valid in a host name"),
    ("http://ecs.amazonaws.com%5c.localhost", "has characters not valid in a host name"),
    ("http://local\thost:4566", "contains spaces or control characters"),
    ("http://localhost:4566\n", "contains spaces or control characters"),
    ("http://ecs.amazonaws.com%ff", "is not valid UTF-8 once percent-decoded"),
    ("http://localhost:45x6", "has a port that is not a number from 1 to 65535"),
    ("http://localhost:99999", "has a port that is not a number from 1 to 65535"),
    ("http://localhost:\uff14\uff15\uff16\uff16", "has a port that is not a number from 1 to 65535"),
    ("http://[::1", "is not an http(s) URL with a host"),
    ("http://%5Bnot-an-ip%5D:4566", "has an IPv6 literal that is not an IPv6 address"),
    ("http://%2525252525252e", "is percent-encoded too many times"),
    ("ftp://localhost", "is not an http(s) URL with a host"),
    ("http://:4566", "is not an http(s) URL with a host"),
    ("127.0.0.1:5000", "is not an http(s) URL with a host"),
]

EMULATORS = [
    "http://127.0.0.1:5000",
    "http://localhost:4566",
    "http://LOCALHOST:4566/",
    "http://localhost.:4566",
    "http://[::1]:4566",
    "http://[::1]",
    "http://[fe80::1%25eth0]:4566",
    "https://localstack.internal.example",
    "http://localstack_main:4566",
    "http://localhost.localstack.cloud:4566",
    "http://amazonaws.com.localhost:4566",
]


@pytest.mark.parametrize("endpoint", AWS_SPELLINGS)
def test_every_spelling_of_an_aws_endpoint_is_refused(endpoint: str) -> None:
    with pytest.raises(UnsafeTargetError) as raised:
        check_emulator_endpoint("local", endpoint)
    message = str(raised.value)
    assert "is AWS itself" in message and "not an emulator" in message and "\n" not in message


@pytest.mark.parametrize("endpoint, reason", OTHER_REFUSALS)
def test_endpoints_that_hide_their_host_are_refused(endpoint: str, reason: str) -> None:
    with pytest.raises(UnsafeTargetError) as raised:
        check_emulator_endpoint("local", endpoint)
    assert reason in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("endpoint", EMULATORS)
def test_emulator_endpoints_are_accepted(endpoint: str) -> None:
    check_emulator_endpoint("local", endpoint)


def test_the_refusal_names_the_host_it_decoded() -> None:
    with pytest.raises(UnsafeTargetError) as raised:
        check_emulator_endpoint("local", "https://ecs.ap-south-1.amazonaws.com%252e")
    assert str(raised.value) == (
        "endpoint https://ecs.ap-south-1.amazonaws.com%252e is AWS itself (host "
        "ecs.ap-south-1.amazonaws.com), not an emulator; to drill a real account use --target "
        "aws and its checks"
    )


BAD = "https://ecs.ap-south-1.amazonaws.com%2e"


@pytest.fixture
def nothing_may_start(monkeypatch):
    """Any attempt to seed, reach LocalStack or check a runbook fails the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the endpoint should have been refused before this")

    for name in (
        "targets.seed_command.seed_platform",
        "targets.target._localstack_services",
        "runbook_check.cli.check_runbook",
        "targets.session.MotoServer",
        "targets.session.seed_platform",
    ):
        monkeypatch.setattr(name, forbidden)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("LOCALSTACK_HOST", raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    "argv, environment",
    [
        (["run", "p0-a", "--endpoint-url", BAD], {}),
        (["run", "p0-a", "--target", "localstack", "--endpoint-url", BAD], {}),
        (["run", "p0-a", "--target", "localstack"], {"AWS_ENDPOINT_URL": BAD}),
        (
            ["run", "p0-a", "--target", "localstack"],
            {"LOCALSTACK_HOST": "ecs.ap-south-1.amazonaws.com%2e:443"},
        ),
        (["gameday", "p0-a", "--endpoint-url", BAD], {}),
        (["seed", "--endpoint-url", BAD], {}),
        (["seed", "--target", "localstack", "--endpoint-url", BAD], {}),
        (["seed", "--target", "localstack"], {"AWS_ENDPOINT_URL": BAD}),
        (["seed", "--target", "localstack"], {"LOCALSTACK_HOST": "ecs.ap-south-1.amazonaws.com%2e"}),
        (["runbook", "docs/runbook.md", "--endpoint-url", BAD], {}),
    ],
    ids=[
        "run",
        "run localstack",
        "run AWS_ENDPOINT_URL",
        "run LOCALSTACK_HOST",
        "gameday",
        "seed",
        "seed localstack",
        "seed AWS_ENDPOINT_URL",
        "seed LOCALSTACK_HOST",
        "runbook",
    ],
)
def test_every_command_refuses_an_aws_endpoint_before_using_it(
    nothing_may_start, tmp_path: Path, capsys, argv, environment
) -> None:
    for name, value in environment.items():
        nothing_may_start.setenv(name, value)
    report_dir = ["--report-dir", str(tmp_path)] if argv[0] in ("run", "gameday", "runbook") else []
    state_dir = ["--state-dir", str(tmp_path)] if argv[0] == "gameday" else []
    if argv[0] == "runbook":
        assert runbook_check_main([*argv[1:], *report_dir]) == 2
    else:
        assert drills_main([*argv, *report_dir, *state_dir]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: endpoint ") and "is AWS itself" in error
    assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_localstack_host_whose_name_starts_with_http_is_still_a_host(monkeypatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("LOCALSTACK_HOST", "httpstack:4566")
    assert localstack_endpoint() == "http://httpstack:4566"
    check_emulator_endpoint("localstack", localstack_endpoint())
