"""Wait until LocalStack is up and its READY hooks (the platform seed) have succeeded.

``python localstack/wait_ready.py [--endpoint-url URL] [--timeout SECONDS] [--hook NAME]``

Polls ``/_localstack/init/ready`` ({"completed": bool, "scripts": [{"name", "state"}]}).
Exits 0 once the stage completed and the seed hook is SUCCESSFUL; 1, with one line on
stderr, if a hook failed, the seed hook never ran (the init folder is not mounted), or time
ran out. Standard library only: it runs before the project's virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

SEED_HOOK = "10-seed-platform.sh"
POLL_SECONDS = 2.0


class NotReadyError(Exception):
    """LocalStack will not become ready: a hook failed or the seed hook is missing."""


def verdict(status: Any, hook: str) -> bool:
    """True when ready; False to keep waiting; NotReadyError when waiting cannot help."""
    if not isinstance(status, dict):
        return False
    scripts = [s for s in status.get("scripts") or [] if isinstance(s, dict)]
    failed = [s.get("name") for s in scripts if s.get("state") == "ERROR"]
    if failed:
        raise NotReadyError(
            f"LocalStack READY hook(s) failed: {', '.join(map(str, failed))} "
            "(see `docker compose -f localstack/compose.yaml logs localstack`)"
        )
    if not status.get("completed"):
        return False
    if not any(s.get("name") == hook and s.get("state") == "SUCCESSFUL" for s in scripts):
        raise NotReadyError(
            f"the READY stage completed without {hook}: is localstack/init/ready.d "
            "mounted at /etc/localstack/init/ready.d and the script executable?"
        )
    return True


def wait_ready(endpoint: str, timeout: float, hook: str = SEED_HOOK, poll: float = POLL_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{endpoint}/_localstack/init/ready", timeout=5) as response:
                status = json.load(response)
            if verdict(status, hook):
                return
            last = f"hooks: {status.get('scripts')}"
        except (urllib.error.URLError, OSError, ValueError) as error:
            last = str(error)  # still starting
        time.sleep(poll)
    raise NotReadyError(f"LocalStack at {endpoint} not ready after {timeout:.0f}s ({last})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", default="http://localhost:4566")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--hook", default=SEED_HOOK, help="the READY hook that must succeed")
    args = parser.parse_args(argv)
    try:
        wait_ready(args.endpoint_url.rstrip("/"), args.timeout, args.hook)
    except NotReadyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"LocalStack at {args.endpoint_url} is ready and seeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
