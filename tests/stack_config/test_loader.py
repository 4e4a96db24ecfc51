"""The stack config is the one source of the platform's names; bad config fails naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stack_config import StackConfigError, StackNotFoundError, load_platform

ROOT = Path(__file__).resolve().parents[2]
KEY = "incident-guardrails:platform"


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_both_stacks_load_with_the_guides_services(stack: str) -> None:
    platform = load_platform(stack)
    assert platform.service_names == (
        "fastify-nova",
        "customer-panel",
        "orion-backend",
        "storefront",
        "events-consumer",
    )
    assert platform.region == "ap-south-1"
    assert platform.aurora.master_secret_id in platform.secrets


def test_production_carries_the_guides_names() -> None:
    platform = load_platform("production")
    assert platform.cluster == "zelly-production"
    assert platform.aurora.cluster_id == "zelly-aurora-production"
    assert platform.aurora.master_secret_id == "zelly/aurora/master"
    assert platform.service("fastify-nova").log_group == "/zelly/ecs/fastify-nova"
    assert platform.production is True
    assert load_platform("staging").production is False


def _write_stack(tmp_path: Path, mutate) -> Path:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    data = yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())
    mutate(data["config"][KEY])
    (tmp_path / "Pulumi.broken.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def _set(path: list, value):
    def mutate(platform: dict) -> None:
        node = platform
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _delete(path: list):
    def mutate(platform: dict) -> None:
        node = platform
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_set(["clustr"], "x"), "platform.clustr: unknown key"),
        (_set(["services", 1, "desiredCont"], 2), "services[1].desiredCont: unknown key"),
        (_delete(["cluster"]), "platform.cluster: required key is missing"),
        (_delete(["aurora", "clusterId"]), "aurora.clusterId: required key is missing"),
        (_set(["services", 0, "desiredCount"], "two"), "services[0].desiredCount: expected an integer"),
        (_set(["services", 0, "desiredCount"], True), "services[0].desiredCount: expected an integer"),
        (_set(["services", 2, "desiredCount"], -1), "services[2].desiredCount: -1 is outside"),
        (_set(["services"], "fastify-nova"), "platform.services: expected a list"),
        (_set(["services"], []), "platform.services: at least one service"),
        (_set(["region"], "mumbai"), "platform.region: 'mumbai' is not an AWS region"),
        (_set(["production"], "yes"), "platform.production: expected true or false"),
        (_set(["aurora", "masterSecretId"], "other/secret"), "is not listed in"),
        (_set(["services", 1, "name"], "fastify-nova"), "duplicate service name 'fastify-nova'"),
        (_set(["accountId"], "12345"), "platform.accountId: '12345' is not a 12-digit account id"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, mutate, message: str) -> None:
    root = _write_stack(tmp_path, mutate)
    with pytest.raises(StackConfigError) as raised:
        load_platform("broken", root)
    assert message in str(raised.value)
    assert str(raised.value).startswith("Pulumi.broken.yaml: ")


def test_unknown_stack_lists_the_known_ones() -> None:
    with pytest.raises(StackNotFoundError, match="no stack 'prod'.*production, staging"):
        load_platform("prod")


def test_missing_platform_key(tmp_path: Path) -> None:
    root = _write_stack(tmp_path, lambda platform: None)
    (root / "Pulumi.empty.yaml").write_text("config:\n  aws:region: ap-south-1\n")
    with pytest.raises(StackConfigError, match="'incident-guardrails:platform' is missing"):
        load_platform("empty", root)


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    _write_stack(tmp_path, lambda platform: None)
    (tmp_path / "Pulumi.bad.yaml").write_text("config: [unclosed\n")
    with pytest.raises(StackConfigError, match="not valid YAML"):
        load_platform("bad", tmp_path)
