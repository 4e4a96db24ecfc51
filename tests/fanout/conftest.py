"""A fake clock for token buckets (time moves only when a caller sleeps, so no test waits), and
clients of a test's own."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config

from runbook_actions import AwsClients
from runbook_actions.aws import default_config
from runbook_actions.constants import RETRY_MAX_ATTEMPTS


class FakeClock:
    def __init__(self, advance_on_sleep: bool = True) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._advance = advance_on_sleep
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self._advance:
                self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """Sleeping advances the clock: one caller at a time, as a single thread sees it."""
    return FakeClock()


@pytest.fixture
def frozen_clock() -> FakeClock:
    """Sleeping records the wait but time stands still: concurrent callers each see their own
    reserved wait, whatever order the threads run in."""
    return FakeClock(advance_on_sleep=False)


@pytest.fixture
def own_clients(moto_backend) -> AwsClients:
    """Clients of this test alone, with standard retries: after the throttles a test injects,
    botocore's adaptive limiter would add waits of its own (in real time), and in the session's
    shared clients it would stay on for later tests."""
    region = "ap-south-1"
    standard = Config(retries={"mode": "standard", "total_max_attempts": RETRY_MAX_ATTEMPTS})
    return AwsClients(
        region, None, boto3.session.Session(region_name=region), default_config(region).merge(standard)
    )
