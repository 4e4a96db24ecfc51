"""Fixtures for runbook-action tests: botocore event hooks that are always removed afterwards.

Clients are shared by the whole test run, so a hook left registered would fail or slow later
tests. Faults are injected at botocore's hooks, so the action's own code path (aws_call,
fan-out, error collection) is the real one; only the AWS answer is faked, and each test says
which call it fails.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

import pytest
from botocore.exceptions import ClientError


class AwsHooks:
    def __init__(self) -> None:
        self._registered: list[tuple[Any, str, Callable[..., Any]]] = []

    def on(self, client: Any, event: str, handler: Callable[..., Any]) -> None:
        """Register ``handler`` for ``event`` (e.g. ``before-parameter-build.ecs.UpdateService``)."""
        client.meta.events.register(event, handler)
        self._registered.append((client, event, handler))

    def fail(self, client: Any, operation: str, when: Callable[[dict[str, Any]], bool] = lambda p: True,
             code: str = "ThrottlingException") -> Callable[[], None]:
        """Make ``operation`` fail with ``code`` when its parameters match ``when``; returns an undo."""

        def hook(params: dict[str, Any], **_: Any) -> None:
            if when(params):
                raise ClientError({"Error": {"Code": code, "Message": "injected by the test"}},
                                  operation)

        event = f"before-parameter-build.{_service_id(client)}.{operation}"
        self.on(client, event, hook)
        return lambda: self._remove(client, event, hook)

    def probe_concurrency(self, client: Any, operation: str,
                          hold_seconds: float = 0.05) -> "ConcurrencyProbe":
        probe = ConcurrencyProbe(hold_seconds)
        self.on(client, f"before-call.{_service_id(client)}.{operation}", probe.enter)
        self.on(client, f"after-call.{_service_id(client)}.{operation}", probe.leave)
        return probe

    def record_calls(self, *clients: Any) -> set[str]:
        """Collect the API calls made through ``clients`` as IAM names (``ecs:UpdateService``)."""
        calls: set[str] = set()
        for client in clients:
            prefix = client.meta.service_model.signing_name
            self.on(client, "before-call",
                    lambda model, _prefix=prefix, **_: calls.add(f"{_prefix}:{model.name}"))
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
