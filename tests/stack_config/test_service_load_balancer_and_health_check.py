"""A service's loadBalancerType and healthCheckUrl: what the stack config accepts (issue 12)."""

from __future__ import annotations

import pytest

from stack_config import StackConfigError, load_platform
from stack_config.model import Service
from stack_config.typed_mapping import build

BASE = {"name": "storefront", "logGroup": "/zelly/ecs/storefront", "desiredCount": 2, "targetGroup": "tg"}


def _service(**extra) -> Service:
    return build(Service, {**BASE, **extra}, "platform.services[0]")


def test_both_stacks_declare_storefront_behind_the_nlb_and_the_rest_behind_albs() -> None:
    for stack in ("production", "staging"):
        types = {s.name: s.load_balancer_type for s in load_platform(stack).services}
        assert types == {
            "fastify-nova": "application",
            "customer-panel": "application",
            "orion-backend": "application",
            "storefront": "network",
            "events-consumer": None,
        }
    urls = {s.name: s.health_check_url for s in load_platform("production").services if s.health_check_url}
    assert urls == {"fastify-nova": "https://api.zelly.in/health", "customer-panel": "https://app.zelly.in/"}


@pytest.mark.parametrize("kind", ["application", "network"])
def test_a_load_balancer_type_is_application_or_network(kind) -> None:
    assert _service(loadBalancerType=kind).load_balancer_type == kind


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"loadBalancerType": "gateway"}, r"loadBalancerType: 'gateway' is not one of application, network"),
        ({"loadBalancerType": "network", "targetGroup": None}, "only a service with a targetGroup has one"),
        ({"healthCheckUrl": "ftp://api.zelly.in/"}, "not an http"),
        ({"healthCheckUrl": "https://api zelly.in/"}, "not an http"),
        ({"healthCheckUrl": "https://localhost/health"}, "not an http"),
        ({"healthCheckUrl": "https://api.zelly.in:70000/"}, "not an http"),
        ({"healthCheckUrl": "https://api.zelly.in/" + "x" * 255}, "not an http"),
    ],
)
def test_bad_values_are_refused_naming_the_key(extra, message) -> None:
    with pytest.raises(StackConfigError, match=message) as error:
        _service(**extra)
    assert str(error.value).startswith("platform.services[0].")


@pytest.mark.parametrize(
    "url", ["https://api.zelly.in/health", "http://app.zelly.in", "https://app.zelly.in:8443/h?deep=1"]
)
def test_http_and_https_urls_with_port_path_and_query_are_accepted(url) -> None:
    assert _service(healthCheckUrl=url).health_check_url == url
