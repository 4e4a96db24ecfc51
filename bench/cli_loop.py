"""The guide's P0-B step as typed: one ``aws ecs update-service --desired-count 0`` process per
service, one after another, against the embedded moto server.

This is what an engineer pasting the guide's line into a ``for`` loop runs. Each process pays
for the AWS CLI's start (interpreter, botocore, the service model) before its one API call, so
the loop's time is that start-up times the number of services. It issues about one call per
process, far below ECS's 5-per-second refill, so the modelled throttle never engages for it and
it is measured once, without. moto answers on 127.0.0.1 in a few ms where AWS takes tens:
AWS would add roughly ``--delay-ms`` per service to these numbers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from targets.emulator import MotoServer

from .stats import Timing, summarise, timed
from .stop_writes import create_services

REGION = "ap-south-1"
CLUSTER = "bench-cli-cluster"


def aws_cli() -> list[str]:
    """The AWS CLI the project pins (awscli in requirements.txt), next to this interpreter."""
    beside = Path(sys.executable).with_name("aws")
    found = str(beside) if beside.exists() else shutil.which("aws")
    if found is None:
        raise RuntimeError("the AWS CLI is not installed: run `make .venv/.installed` first")
    return [found]


def cli_environment(endpoint_url: str) -> dict[str, str]:
    """Dummy credentials and the emulator's endpoint; no config file of the user's is read."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **keep,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def seed_services(endpoint_url: str, size: int) -> list[str]:
    ecs = boto3.client(
        "ecs",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return create_services(ecs, CLUSTER, size)


def guide_as_typed(endpoint_url: str, names: list[str]) -> None:
    """One CLI process per service, as the guide's line in a shell loop; any failure stops it."""
    environment = cli_environment(endpoint_url)
    for name in names:
        subprocess.run(
            [
                *aws_cli(),
                "ecs",
                "update-service",
                "--cluster",
                CLUSTER,
                "--service",
                name,
                "--desired-count",
                "0",
                "--region",
                REGION,
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )


def measure_guide_as_typed(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Per size: wall and CPU (the CLI processes' included) of the whole loop, ``repeats`` times,
    each on a freshly reset emulator; and the per-process cost it implies."""
    rows = []
    with MotoServer() as server:
        seed_services(server.endpoint_url, 1)  # moto loads ECS once, outside every measurement
        for size in sizes:
            timings: list[Timing] = []
            for _ in range(repeats):
                server.reset()
                names = seed_services(server.endpoint_url, size)
                _, timing = timed(lambda: guide_as_typed(server.endpoint_url, names))
                timings.append(timing)
            summary = summarise(timings)
            rows.append(
                {
                    "services": size,
                    "processes": size,
                    **summary,
                    "wall_per_service_s": round(summary["wall_s"]["median"] / size, 3),
                }
            )
    return rows
