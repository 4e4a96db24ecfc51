"""One boto3 client per service per run, created lazily and shared across threads.

boto3 itself is imported on the first client, not with this module: importing it is most of
the command line's start-up, and ``--help`` or a refused argument needs no client.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from .constants import (
    DEFAULT_REGION,
    ENV_DEFAULT_REGION,
    ENV_ENDPOINT_URL,
    ENV_REGION,
    MAX_PARALLEL_CALLS,
    RETRY_MAX_ATTEMPTS,
    RETRY_MODE,
)

if TYPE_CHECKING:
    import boto3.session
    from botocore.config import Config


def resolve_region(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_REGION) or os.environ.get(ENV_DEFAULT_REGION) or DEFAULT_REGION


def resolve_endpoint(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get(ENV_ENDPOINT_URL) or None


def default_config(region: str) -> Config:
    """The clients' settings: adaptive retries, and a pool as wide as the fan-out."""
    from botocore.config import Config

    return Config(
        region_name=region,
        # total_max_attempts counts the first try; botocore's max_attempts would not.
        retries={"mode": RETRY_MODE, "total_max_attempts": RETRY_MAX_ATTEMPTS},
        max_pool_connections=MAX_PARALLEL_CALLS * 2,
    )


class AwsClients:
    """Hands out boto3 clients bound to one region and endpoint.

    Creating a client costs ~50 ms, so each is made once and reused; boto3 clients are
    thread-safe once built, but building them from a shared session is not, hence the lock.
    The default session and config are made with the first client, so that building an
    ``AwsClients`` imports no boto3.
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.session.Session | None = None,
        config: Config | None = None,
    ) -> None:
        self.region = resolve_region(region)
        self.endpoint_url = resolve_endpoint(endpoint_url)
        self._session = session
        self._config = config
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        from botocore.exceptions import UnknownServiceError

        try:
            return self.get(service)
        except UnknownServiceError:
            raise AttributeError(f"no AWS service named {service!r}") from None

    def get(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                client = self._clients[service] = self._build(service)
            return client

    def _build(self, service: str) -> Any:
        """A new client; the first one makes the default session and config, importing boto3."""
        if self._session is None:
            import boto3.session

            self._session = boto3.session.Session()
        self._config = self._config or default_config(self.region)
        return self._session.client(
            service, region_name=self.region, endpoint_url=self.endpoint_url, config=self._config
        )
