"""The guide's symptoms that gained alarms in issue 12, replayed from given datapoints.

Each case is a ``symptoms:`` section as a scenario writes it, run through the production
catalog's replay: the alarm fires at the second CloudWatch's evaluation gives, pages the guide's
severity, and the symptom is watched (no "no alarm watches this symptom").
"""

from __future__ import annotations

import pytest
import yaml

from detection import detect, parse_symptoms
from tests.support.platform_names import CLUSTER

NOVA_ALB = "zelly-prod-fastify-nova"  # offline, each target group stands in for its own load balancer


def _detect(platform, catalog, text: str, horizon_s: float = 1800):
    result = detect(platform, catalog, parse_symptoms(yaml.safe_load(text), platform), horizon_s=horizon_s)
    assert result.unwatched == () and result.unbaselined == ()
    return result


def _fired(result) -> list[tuple[str, float, str, str]]:
    return [(f.alarm_name, f.at_s, f.severity, f.guide_section) for f in result.fired]


ECS = """
metrics:
  - for_service: orion-backend
    namespace: AWS/ECS
    metric: {metric}
    dimensions: {{ClusterName: "{{cluster}}", ServiceName: "{{service}}"}}
    value: {value}
"""


@pytest.mark.parametrize(
    ("metric", "value", "fired"),
    [
        # CPU >= 85% (Average) in 3 of 3 periods of 300 s: the periods [0, 300), [300, 600),
        # [600, 900) are judged at 900 s. "Admin panel (orion) slow" is P2.
        ("CPUUtilization", 97, [(f"{CLUSTER}-orion-backend-cpu-high", 900, "P2", "P2-admin-slow")]),
        ("CPUUtilization", 80, []),
        # Memory >= 90% in 5 of 5 minutes: judged at 300 s.
        ("MemoryUtilization", 94, [(f"{CLUSTER}-orion-backend-memory-high", 300, "P2", "P2-admin-slow")]),
        ("MemoryUtilization", 89, []),
    ],
)
def test_orion_slow_pages_p2_from_ecs_cpu_or_memory(
    platform, production_catalog, metric, value, fired
) -> None:
    result = _detect(platform, production_catalog, ECS.format(metric=metric, value=value))
    assert _fired(result) == fired


def test_the_albs_own_5xx_pages_p1_after_three_bad_minutes(platform, production_catalog) -> None:
    # HTTPCode_ELB_5XX_Count (Sum >= 25 a minute in 3 of 5; nothing published when healthy): the
    # ALB answers 502/503 from t = 0, the third bad minute [120, 180) is judged at 180 s.
    result = _detect(
        platform,
        production_catalog,
        """
metrics:
  - for_service: fastify-nova
    namespace: "{load_balancer_namespace}"
    metric: HTTPCode_ELB_5XX_Count
    dimensions: {LoadBalancer: "{load_balancer_dimension}"}
    points: [[10, 30], [70, 0], [80, 41], [130, 26], [250, 3]]
""",
    )
    assert _fired(result) == [(f"{CLUSTER}-{NOVA_ALB}-elb-5xx", 180, "P1", "P0-A")]


def test_the_public_health_check_failing_pages_p1_at_two_minutes(platform, production_catalog) -> None:
    # Route 53's HealthCheckStatus (1 healthy, 0 unhealthy) for api.zelly.in/health: 0 from 120 s.
    # Minimum < 1 in 2 of 2 minutes: [120, 180) and [180, 240) are judged at 240 s.
    result = _detect(
        platform,
        production_catalog,
        """
metrics:
  - for_service: fastify-nova
    namespace: AWS/Route53
    metric: HealthCheckStatus
    dimensions: {HealthCheckId: "{health_check}"}
    points: [[0, 1], [60, 1], [120, 0], [180, 0], [240, 0], [300, 0]]
""",
    )
    assert _fired(result) == [(f"{CLUSTER}-fastify-nova-public-endpoint-down", 240, "P1", "P0-A")]


def test_a_health_check_that_flaps_for_a_minute_does_not_page(platform, production_catalog) -> None:
    result = _detect(
        platform,
        production_catalog,
        """
metrics:
  - for_each: public_service
    namespace: AWS/Route53
    metric: HealthCheckStatus
    dimensions: {HealthCheckId: "{health_check}"}
    points: [[0, 0], [60, 1], [120, 0], [180, 1], [240, 0], [300, 1]]
""",
    )
    assert result.fired == ()


def test_storefront_502_behind_the_nlb_pages_p1_b_from_no_healthy_hosts(platform, production_catalog) -> None:
    # P1-B: Caddy in the storefront task fails the NLB's health checks. The NLB's HealthyHostCount
    # (AWS/NetworkELB, net/... dimensions) is 0 from t = 0: 2 of 2 minutes, judged at 120 s.
    result = _detect(
        platform,
        production_catalog,
        """
metrics:
  - for_service: storefront
    namespace: "{load_balancer_namespace}"
    metric: HealthyHostCount
    dimensions: {TargetGroup: "{target_group_dimension}", LoadBalancer: "{load_balancer_dimension}"}
    value: 0
""",
    )
    assert _fired(result) == [(f"{CLUSTER}-storefront-no-healthy-hosts", 120, "P1", "P1-B")]


def test_one_nlb_node_seeing_an_unhealthy_target_is_not_a_degraded_storefront(
    platform, production_catalog
) -> None:
    # Behind the NLB the alarm takes the Minimum of UnHealthyHostCount over its nodes' reports
    # (AWS's advice): one node reporting 1 while another reports 0 is no breach...
    flapping = """
metrics:
  - for_service: storefront
    namespace: "{load_balancer_namespace}"
    metric: UnHealthyHostCount
    dimensions: {TargetGroup: "{target_group_dimension}", LoadBalancer: "{load_balancer_dimension}"}
    points: [%s]
"""
    one_node = ", ".join(f"[{t}, 1], [{t + 30}, 0]" for t in range(0, 600, 60))
    assert _detect(platform, production_catalog, flapping % one_node).fired == ()
    # ...every node reporting it for 5 minutes is (P2, judged at 300 s).
    all_nodes = ", ".join(f"[{t}, 1], [{t + 30}, 1]" for t in range(0, 600, 60))
    result = _detect(platform, production_catalog, flapping % all_nodes)
    assert _fired(result) == [(f"{CLUSTER}-storefront-unhealthy-hosts", 300, "P2", "P0-A")]
