"""Shared fixtures: fake credentials first, moto in-process, one client set per test, the
embedded emulator for drills run as a user runs them, and botocore hooks that never leak."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import botocore.loaders
import botocore.session
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

from drills.scenario import SCENARIO_DIR
from runbook_actions.aws import RATE_LIMITS
from runbook_actions.clients import AwsClients
from stack_config import Platform, load_platform
from targets.emulator import MotoServer
from targets.seed import SeedResult, seed_platform
from targets.session import emulator_clients
from tests.support.drill_process import run_drill_in_process, start_drill
from tests.support.platform_state import platform_state

REGION = "ap-south-1"

# Set before any test module builds a client, so nothing can reach a real account.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "LOCALSTACK_HOST"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION=REGION,
    AWS_REGION=REGION,
    # The platform needs a VPC, not moto's ~5,000 stock AMIs (1 s per test).
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
)


class _OncePerPath(list):
    """A loader's search paths: boto3 appends its own folder once per session it makes."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_LOADERS: dict[str | None, botocore.loaders.Loader] = {}


def _shared_data_loader(session: botocore.session.Session) -> None:
    """Every botocore session in this process reads AWS's API models through one loader per data
    path, so each model file is parsed once per process instead of once per session: a drill run
    in-process, a test's own clients and every per-test session of the drill tests made ~12
    clients from a fresh session, ~0.5 s of CPU of JSON each time. The models are botocore's
    own files either way, and botocore already shares one loaded model among a session's
    clients; what a client sends and how it is answered do not change."""

    def loader() -> botocore.loaders.Loader:
        path = session.get_config_variable("data_path")
        if path not in _LOADERS:
            _LOADERS[path] = botocore.loaders.create_loader(path)
            _LOADERS[path]._search_paths = _OncePerPath(_LOADERS[path].search_paths)
        return _LOADERS[path]

    session._components.lazy_register_component("data_loader", loader)


botocore.session.Session._register_data_loader = _shared_data_loader  # type: ignore[method-assign]


# Fault journals of the drills this run starts (and their subprocesses) stay out of the user's
# own state folder: one folder per test process.
os.environ["INCIDENT_GUARDRAILS_STATE_DIR"] = tempfile.mkdtemp(prefix="fault-journals-")


# Test files whose tests cost the most CPU (measured, issue 13), handed out first under `-n`, so
# no worker is left running one of them alone at the end.
HEAVIEST_FIRST = (
    "tests/drills/test_fail_every_step.py",
    "tests/runbook_check/test_runbook_end_to_end.py",
    "tests/pulumi/test_aws_name_limits.py",
    "tests/runbook_actions/test_post_status.py",
    "tests/drills/test_detection_in_drills.py",
    "tests/drills/test_p0b_drill.py",
    "tests/drills/test_preflight.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `-n` (xdist's default ``--dist load``), each test file runs whole on one worker, so a
    module-scoped fixture is built once per run, not once per worker that draws one of its
    tests (the runbook end-to-end checks cost ~50 s of CPU; plain load scheduling split them
    over both workers depending on timing). ``--dist loadgroup`` cannot do this here: with
    pytest 9 a test's id is no longer ``item._nodeid``, which is where pytest-xdist 3.8 writes
    the ``@group`` suffix, so ``xdist_group`` marks are silently ignored. An explicit other
    ``--dist`` is left as it is."""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadFileScheduling

    class WholeFiles(LoadFileScheduling):
        _ordered = False

        def _assign_work_unit(self, node: Any) -> None:
            if not self._ordered:
                self._ordered = True
                for path in reversed(HEAVIEST_FIRST):
                    if path in self.workqueue:
                        self.workqueue.move_to_end(path, last=False)
            super()._assign_work_unit(node)

    return WholeFiles(config, log)


@pytest.fixture(scope="session")
def shared_clients() -> AwsClients:
    """One client set for the whole run: building clients costs more than most tests.

    moto intercepts at botocore's event hooks, so clients built once are mocked by every
    test's own ``mock_aws`` (which starts from empty state).
    """
    return AwsClients(region=REGION, session=boto3.session.Session(region_name=REGION))


@pytest.fixture(autouse=True)
def fresh_ecs_buckets() -> None:
    """Each test acts on a fresh emulated account, whose ECS buckets are full: so are the process's
    client-side ones (runbook_actions.fanout), instead of carrying every earlier test's calls."""
    RATE_LIMITS.clear()


@pytest.fixture(scope="session")
def platform() -> Platform:
    return load_platform("production")


@pytest.fixture
def moto_backend():
    with mock_aws():
        yield


@pytest.fixture
def clients(moto_backend, shared_clients) -> AwsClients:
    return shared_clients


@pytest.fixture
def seeded(clients: AwsClients, platform: Platform) -> SeedResult:
    return seed_platform(clients, platform)


@pytest.fixture(scope="session")
def moto_server():
    """One embedded emulator (moto server) for every test that runs drills as a user does."""
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def _seeded_snapshot(moto_server, platform: Platform) -> dict[str, Any]:
    """The shared emulator reset and seeded with the production stand-in once per test process,
    then kept (``MotoServer.snapshot``, once per server); its state as the tests read it."""
    MotoServer.reset_at(moto_server.endpoint_url)
    clients = emulator_clients(moto_server.endpoint_url, platform.region)
    seed_platform(clients, platform)
    state = platform_state(clients, platform)
    moto_server.snapshot()
    return state


@dataclass(frozen=True)
class SeededEmulator:
    endpoint_url: str
    clients: AwsClients
    state: dict[str, Any]


@pytest.fixture
def seeded_emulator(moto_server, _seeded_snapshot, platform: Platform) -> SeededEmulator:
    """The shared emulator holding the freshly seeded production stand-in, whatever earlier tests
    did to it: the seeded state is brought back by fork (~10-25 ms, where a reset and seed cost
    ~0.3-0.6 s of CPU); fresh clients, and the state as ``platform_state`` reads it. The seed ran
    once per test process, so its log events are as old as the run (one minute at seeding)."""
    moto_server.restore()
    clients = emulator_clients(moto_server.endpoint_url, platform.region)
    return SeededEmulator(moto_server.endpoint_url, clients, _seeded_snapshot)


ROOT = Path(__file__).resolve().parent.parent


class DrillRunner:
    """``run_drill("p0-b", change=fn)`` runs the scenario (changed by ``fn`` if given) through
    ``python -m drills`` against the shared emulator; reports land in ``report_dir``.
    ``run_drill.in_process(...)`` runs the same command line through its entry point in this
    process (for tests of what the drill does, not of its process: no Python start-up and
    imports per drill). ``run_drill.start(...)`` starts it without waiting, for tests that
    signal it (SIGINT at its default in the child, however pytest was started)."""

    def __init__(self, endpoint_url: str, report_dir: Path) -> None:
        self.endpoint_url = endpoint_url
        self.report_dir = report_dir

    def __call__(
        self, scenario: str, change: Callable[[dict], None] | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "drills", *self._argv(scenario, change)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def in_process(
        self, scenario: str, change: Callable[[dict], None] | None = None
    ) -> subprocess.CompletedProcess:
        return run_drill_in_process(self._argv(scenario, change))

    def start(self, scenario: str, change: Callable[[dict], None] | None = None) -> subprocess.Popen:
        return start_drill(
            self._argv(scenario, change), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def _argv(self, scenario: str, change: Callable[[dict], None] | None) -> list[str]:
        scenarios = SCENARIO_DIR
        if change is not None:
            data = yaml.safe_load((SCENARIO_DIR / f"{scenario}.yaml").read_text())
            change(data)
            scenarios = self.report_dir / "scenarios"
            scenarios.mkdir(exist_ok=True)
            (scenarios / f"{scenario}.yaml").write_text(yaml.safe_dump(data))
        return [
            "run",
            scenario,
            "--scenarios-dir",
            str(scenarios),
            "--report-dir",
            str(self.report_dir),
            "--endpoint-url",
            self.endpoint_url,
        ]


@pytest.fixture
def run_drill(moto_server, tmp_path: Path) -> DrillRunner:
    return DrillRunner(moto_server.endpoint_url, tmp_path)


# Fields of the seeded secrets that hold secret values (not names such as the username).
SECRET_FIELDS = {"password", "RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "FIREBASE_SERVICE_ACCOUNT"}


def _emulator_secret_values(endpoint: str) -> list[str]:
    """Every version of every secret left in the emulator at ``endpoint``."""
    sm = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    values = []
    for secret in sm.list_secrets()["SecretList"]:
        for version in sm.list_secret_version_ids(SecretId=secret["Name"])["Versions"]:
            body = json.loads(
                sm.get_secret_value(SecretId=secret["Name"], VersionId=version["VersionId"])["SecretString"]
            )
            values += [v for k, v in body.items() if k in SECRET_FIELDS]
    return values


@pytest.fixture
def emulator_secret_values() -> Callable[[str], list[str]]:
    """``emulator_secret_values(endpoint)``: the secret values a drill left in the emulator."""
    return _emulator_secret_values


# Botocore event hooks that are always removed afterwards. Clients are shared by the whole test
# run, so a hook left registered would fail or slow later tests. Faults are injected at
# botocore's hooks, so the action's own code path (aws_call, fan-out, error collection) is the
# real one; only the AWS answer is faked, and each test says which call it fails.
class AwsHooks:
    def __init__(self) -> None:
        self._registered: list[tuple[Any, str, Callable[..., Any]]] = []

    def on(self, client: Any, event: str, handler: Callable[..., Any]) -> None:
        """Register ``handler`` for ``event`` (e.g. ``before-parameter-build.ecs.UpdateService``)."""
        client.meta.events.register(event, handler)
        self._registered.append((client, event, handler))

    def fail(
        self,
        client: Any,
        operation: str,
        when: Callable[[dict[str, Any]], bool] = lambda p: True,
        code: str = "ThrottlingException",
    ) -> Callable[[], None]:
        """Make ``operation`` fail with ``code`` when its parameters match ``when``; returns an undo."""

        def hook(params: dict[str, Any], **_: Any) -> None:
            if when(params):
                raise ClientError({"Error": {"Code": code, "Message": "injected by the test"}}, operation)

        event = f"before-parameter-build.{_service_id(client)}.{operation}"
        self.on(client, event, hook)
        return lambda: self._remove(client, event, hook)

    def probe_concurrency(
        self, client: Any, operation: str, hold_seconds: float = 0.05
    ) -> "ConcurrencyProbe":
        probe = ConcurrencyProbe(hold_seconds)
        self.on(client, f"before-call.{_service_id(client)}.{operation}", probe.enter)
        self.on(client, f"after-call.{_service_id(client)}.{operation}", probe.leave)
        return probe

    def record_calls(self, *clients: Any) -> set[str]:
        """Collect the API calls made through ``clients`` as IAM names (``ecs:UpdateService``)."""
        calls: set[str] = set()
        for client in clients:
            prefix = client.meta.service_model.signing_name
            self.on(
                client, "before-call", lambda model, _prefix=prefix, **_: calls.add(f"{_prefix}:{model.name}")
            )
        return calls

    def _remove(self, client: Any, event: str, handler: Callable[..., Any]) -> None:
        client.meta.events.unregister(event, handler)
        self._registered.remove((client, event, handler))

    def remove_all(self) -> None:
        for client, event, handler in reversed(self._registered):
            client.meta.events.unregister(event, handler)
        self._registered.clear()


class ConcurrencyProbe:
    """Holds each call briefly and records how many were in flight at once."""

    def __init__(self, hold_seconds: float) -> None:
        self.peak = 0
        self._in_flight = 0
        self._hold = hold_seconds
        self._lock = threading.Lock()

    def enter(self, **_: Any) -> None:
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        time.sleep(self._hold)

    def leave(self, **_: Any) -> None:
        with self._lock:
            self._in_flight -= 1


def _service_id(client: Any) -> str:
    return client.meta.service_model.service_id.hyphenize()


@pytest.fixture
def aws_hooks() -> Iterator[AwsHooks]:
    hooks = AwsHooks()
    yield hooks
    hooks.remove_all()


@pytest.fixture
def no_target_may_open(monkeypatch):
    """Refused input must be refused before ``run`` or ``gameday`` opens any target."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the input should have been refused before any target opened")

    monkeypatch.setattr("drills.cli.open_target", forbidden)
    monkeypatch.setattr("drills.gameday_command.open_target", forbidden)
