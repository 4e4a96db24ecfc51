"""An emulator endpoint on any AWS partition's domain is refused, not only the commercial one.

The red team's finding: ``AWS_DOMAINS`` listed amazonaws.com(.cn), api.aws and on.aws, so an
"emulator" at the European Sovereign Cloud (amazonaws.eu), the ISO partitions (c2s.ic.gov,
sc2s.sgov.gov, ...) or a dual-stack suffix of those partitions passed as an emulator. The list
is now derived from botocore's partitions.json at import; these tests compare it with botocore's
data (and with the hosts botocore really resolves) so it cannot drift.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any, Iterator

import boto3
import botocore
import pytest
from botocore.config import Config

from targets.endpoints import in_domains
from targets.safety import AWS_DOMAINS, UnsafeTargetError, check_emulator_endpoint, is_aws_endpoint

BOTOCORE_DATA = Path(botocore.__file__).resolve().parent / "data"
PARTITIONS = json.loads((BOTOCORE_DATA / "partitions.json").read_text())["partitions"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://ecs.eusc-de-east-1.amazonaws.eu",  # aws-eusc
        "https://ecs.eusc-de-east-1.api.amazonwebservices.eu",  # aws-eusc dual-stack
        "https://rds.us-iso-east-1.c2s.ic.gov",  # aws-iso
        "https://rds.us-iso-east-1.api.aws.ic.gov",  # aws-iso dual-stack
        "https://ssm.us-isob-east-1.sc2s.sgov.gov",  # aws-iso-b
        "https://ssm.us-isob-east-1.api.aws.scloud",  # aws-iso-b dual-stack
        "https://ecs.eu-isoe-west-1.cloud.adc-e.uk",  # aws-iso-e
        "https://ecs.us-isof-south-1.csp.hci.ic.gov",  # aws-iso-f
        "https://ecs.cn-north-1.api.amazonwebservices.com.cn",  # aws-cn dual-stack
        "https://ecs.us-east-1.api.aws",  # aws dual-stack
        "https://ECS.EUSC-DE-EAST-1.AMAZONAWS.EU.",  # case, trailing dot
        "https://ecs.eusc-de-east-1.amazonaws%2eeu",  # percent-encoded dot
        "http://127.0.0.1@ecs.us-iso-east-1.c2s.ic.gov:4566",  # user@host
    ],
)
def test_every_partitions_endpoint_is_refused_as_an_emulator(endpoint: str) -> None:
    with pytest.raises(UnsafeTargetError):
        check_emulator_endpoint("localstack", endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:4566",
        "http://localstack:4566",
        "http://amazonaws.eu.example.test:4566",
        "http://notamazonaws.eu:4566",
    ],
)
def test_emulators_still_pass(endpoint: str) -> None:
    check_emulator_endpoint("localstack", endpoint)


@pytest.mark.parametrize("partition", PARTITIONS, ids=[p["id"] for p in PARTITIONS])
def test_every_botocore_partition_suffix_is_an_aws_domain(partition: dict[str, Any]) -> None:
    outputs = partition["outputs"]
    for key in ("dnsSuffix", "dualStackDnsSuffix"):
        if outputs.get(key):
            assert outputs[key] in AWS_DOMAINS, f"{partition['id']} {key} {outputs[key]}"


def _hosts(node: Any) -> Iterator[str]:
    """Literal host names in botocore's endpoint data: ``hostname`` values of endpoints.json and
    the part of an endpoint rule's URL after its last {placeholder}."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "hostname" and isinstance(value, str):
                yield value
            elif key == "url" and isinstance(value, str):
                match = re.match(r"https?://([^/]+)", value)
                if match:
                    yield match.group(1)
            else:
                yield from _hosts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _hosts(item)


def _literal_tail(host: str) -> str | None:
    """The fixed domain a templated host ends in, or None if it ends in a placeholder."""
    host = re.sub(r":[0-9]+$", "", host)  # a port
    if host.endswith("}"):
        return None
    return host.rsplit("}", 1)[-1].lstrip(".") or None


def test_every_host_botocore_names_is_an_aws_domain() -> None:
    files = [BOTOCORE_DATA / "endpoints.json", *sorted(BOTOCORE_DATA.glob("*/*/endpoint-rule-set-1.json*"))]
    assert len(files) > 100, "botocore's endpoint rule sets were not found"
    uncovered: dict[str, str] = {}
    for path in files:
        text = gzip.open(path, "rt").read() if path.suffix == ".gz" else path.read_text()
        for host in _hosts(json.loads(text)):
            tail = _literal_tail(host)
            if tail and tail != "localhost" and not in_domains(tail, AWS_DOMAINS):
                uncovered.setdefault(tail, str(path.relative_to(BOTOCORE_DATA)))
    assert not uncovered, f"hosts botocore may call that AWS_DOMAINS misses: {uncovered}"


_SERVICES = (
    "ecs",
    "rds",
    "ssm",
    "logs",
    "secretsmanager",
    "sts",
    "iam",
    "sns",
    "elbv2",
    "cloudwatch",
    "cloudtrail",
    "backup",
)
_VARIANTS = {
    "plain": {},
    "dualstack": {"use_dualstack_endpoint": True},
    "fips": {"use_fips_endpoint": True},
    "fips-dualstack": {"use_dualstack_endpoint": True, "use_fips_endpoint": True},
}


@pytest.fixture(scope="module")
def session() -> boto3.session.Session:
    """One session for every partition: it loads each service's model and the endpoint rules
    once (a session of its own per partition loaded them nine times, ~1.5 s of CPU each); the
    Region and options are chosen per client, so the endpoints resolved are the same."""
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("partition", PARTITIONS, ids=[p["id"] for p in PARTITIONS])
def test_the_endpoints_botocore_resolves_are_aws_endpoints(
    session: boto3.session.Session, partition: dict[str, Any]
) -> None:
    """Every endpoint the drills' clients would really reach in each partition (plain,
    dual-stack, FIPS) is recognised as AWS."""
    region = next(r for r in sorted(partition["regions"]) if re.fullmatch(partition["regionRegex"], r))
    resolved = []
    for service in _SERVICES:
        for variant, options in _VARIANTS.items():
            try:
                client = session.client(service, region_name=region, config=Config(**options))
            except Exception:  # noqa: BLE001 - a variant the partition does not offer
                continue
            resolved.append(client.meta.endpoint_url)
    assert resolved
    missed = [url for url in resolved if not is_aws_endpoint(url)]
    assert not missed, f"{partition['id']}: not recognised as AWS: {missed}"
