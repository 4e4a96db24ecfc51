"""Fault tests: AWS answers throttling or 5xx to chosen calls, through botocore's real retries.

The emulator itself answers a chosen call with an AWS error response instead of doing it, so
botocore parses a real error and its standard retry mode decides to retry, exactly as with AWS. Backoff sleeps are set to zero and the client-side retry quota is
disabled, so the tests are fast and the attempt count is always the configured one; so are the
client-side rate limits (the process's ECS buckets never sleep, botocore's adaptive limiter is
idle: it would otherwise keep the session's shared clients slow after the throttles injected here).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl

import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries import standard
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from runbook_actions import fanout
from runbook_actions.aws import RateLimitRegistry
from targets.seed import seed_platform
from tests.support.action_cases import PLATFORM

# (HTTP status, error code) of each kind of failure, as AWS sends them.
FAILURES = {
    "throttled": (400, {"json": "ThrottlingException", "query": "Throttling"}),
    "unavailable": (503, {"json": "ServiceUnavailableException", "query": "ServiceUnavailable"}),
    "internal-error": (500, {"json": "InternalFailure", "query": "InternalFailure"}),
}


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def error_response(url: str, protocol: str, kind: str) -> AWSResponse:
    status, codes = FAILURES[kind]
    code = codes["query" if protocol in ("query", "ec2") else "json"]
    if protocol == "ec2":  # EC2's own XML error shape
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>injected {kind}</Message>"
            "</Error></Errors><RequestID>test</RequestID></Response>"
        ).encode()
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>injected {kind}</Message></Error><RequestId>test</RequestId>"
            f"</ErrorResponse>"
        ).encode()
    else:
        body = json.dumps({"__type": code, "message": f"injected {kind}"}).encode()
    return AWSResponse(url, status, {"x-amzn-requestid": "test"}, _Body(body))


def request_params(request: Any, protocol: str) -> dict[str, Any]:
    body = request.body or b""
    text = body.decode() if isinstance(body, bytes) else str(body)
    if protocol in ("query", "ec2"):
        return dict(parse_qsl(text))
    return json.loads(text) if text else {}


@dataclass
class Failing:
    """One injected failure: how many attempts it answered."""

    attempts: int = 0


class FlakyAws:
    """The emulator answers chosen calls with an AWS error instead of doing them.

    Installed where moto receives each HTTP request (its botocore ``before-send`` stubber), so
    a failed attempt changes nothing, as when AWS throttles a call, and every attempt of a
    retry reaches it anew.
    """

    def __init__(self) -> None:
        self._answers: list[Callable[[str, Any], AWSResponse | None]] = []
        self._lock = threading.Lock()

    def fail(
        self,
        client: Any,
        operation: str,
        kind: str = "throttled",
        times: int | None = None,
        when: Callable[[dict[str, Any]], bool] = lambda params: True,
    ) -> Failing:
        """Answer ``operation`` with ``kind`` for its first ``times`` attempts matching ``when``
        (every attempt when ``times`` is None); later attempts reach the emulator."""
        protocol = client.meta.service_model.protocol
        event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
        failing = Failing()

        def answer(event_name: str, request: Any) -> AWSResponse | None:
            if event_name != event or not when(request_params(request, protocol)):
                return None
            with self._lock:
                if times is not None and failing.attempts >= times:
                    return None
                failing.attempts += 1
            return error_response(request.url, protocol, kind)

        self._answers.append(answer)
        return failing

    def heal(self) -> None:
        self._answers.clear()

    def answer(self, event_name: str, request: Any) -> AWSResponse | None:
        for answer in list(self._answers):
            response = answer(event_name, request)
            if response is not None:
                return response
        return None


@pytest.fixture
def flaky(monkeypatch) -> FlakyAws:
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(standard.RetryQuotaChecker, "acquire_retry_quota", lambda self, context: True)
    monkeypatch.setattr(fanout, "RATE_LIMITS", RateLimitRegistry(sleep=lambda seconds: None))
    # Only adaptive mode's limiter asks this (standard retries use ..._from_context): it stays off.
    monkeypatch.setattr(standard.ThrottlingErrorDetector, "is_throttling_error", lambda self, **kwargs: False)
    hooks = FlakyAws()
    emulate = BotocoreStubber.__call__

    def answered_first(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any):
        return hooks.answer(event_name, request) or emulate(stubber, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", answered_first)
    return hooks


class Emulator:
    """moto in-process, reset and reseeded on demand within one test."""

    def __init__(self, mock: Any, clients: Any) -> None:
        self._mock = mock
        self.clients = clients

    def fresh(self) -> None:
        self._mock.reset()
        seed_platform(self.clients, PLATFORM)


@pytest.fixture
def emulator(shared_clients) -> Iterator[Emulator]:
    with mock_aws() as mock:
        yield Emulator(mock, shared_clients)


@pytest.fixture
def pinned_minute(monkeypatch) -> None:
    """One fixed moment for the actions that write the current minute into what they create, so
    runs that are compared with each other see the same minute however far apart they run:

    - snapshot-cluster names its snapshot after the minute;
    - post-status's first post of an incident says "Started: <minute> UTC" (when no start is
      given), and its SSM record keeps the digest of that text. A clean run and the rerun after
      a failed write are two first posts on fresh emulators: a minute boundary between them
      (a loaded machine) gave two digests, so two different records.
    """
    from runbook_actions import post_status, rds_helpers, snapshot_cluster

    moment = rds_helpers.utc_now().replace(second=30, microsecond=0)
    for action in (snapshot_cluster, post_status):
        monkeypatch.setattr(action, "utc_now", lambda: moment)
