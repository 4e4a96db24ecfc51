"""Break-glass roles: named principals, MFA, one hour; every admin assumption pages P0, unsilenced."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pytest

from components import tags
from detection.filter_pattern import compile_pattern
from stack_config import Platform
from tests.support.program_harness import ACCOUNT, ProgramRun, as_list, run_program, statements

ROLE = "aws:iam/role:Role"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"


def _role(run: ProgramRun, platform: Platform, suffix: str):
    return run.one(ROLE, name=f"{platform.cluster}-{suffix}")


def test_both_roles_need_named_principals_mfa_and_at_most_an_hour(
    run: ProgramRun, stack_platform: Platform
) -> None:
    config = stack_platform.break_glass
    for suffix, principals in (
        ("break-glass-admin", config.admin_principals),
        ("investigator", config.investigators),
    ):
        role = _role(run, stack_platform, suffix)
        assert role.inputs["maxSessionDuration"] <= 3600
        [trust] = statements(role.inputs["assumeRolePolicy"])
        assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
        assert sorted(as_list(trust["Principal"]["AWS"])) == sorted(
            f"arn:aws:iam::{ACCOUNT}:{p}" for p in principals
        )
        assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
        assert int(trust["Condition"]["NumericLessThanEquals"]["aws:MultiFactorAuthAge"]) <= 3600


def test_admin_is_administrator_and_investigator_read_only(run: ProgramRun, stack_platform: Platform) -> None:
    attachments = {
        (a.inputs["role"], a.inputs["policyArn"])
        for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert (
        f"{stack_platform.cluster}-break-glass-admin",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ) in attachments
    assert (f"{stack_platform.cluster}-investigator", "arn:aws:iam::aws:policy/ReadOnlyAccess") in attachments


def test_the_admin_cannot_silence_its_own_page(run: ProgramRun, stack_platform: Platform) -> None:
    guard = run.one("aws:iam/rolePolicy:RolePolicy", name="keep-break-glass-visible")
    assert guard.inputs["role"] == f"{stack_platform.cluster}-break-glass-admin"
    denied = {
        action for s in statements(guard.inputs["policy"]) if s["Effect"] == "Deny" for action in s["Action"]
    }
    assert {"events:DisableRule", "events:DeleteRule", "iam:UpdateAssumeRolePolicy"} <= denied


def _p0_topic(run: ProgramRun):
    return next(
        t for t in run.of_type(TOPIC) if t.inputs["tags"][tags.SEVERITY] == "P0" and "region" not in t.inputs
    )


def _assume_role(role_arn: str, region: str) -> str:
    """CloudTrail's record of an AssumeRole through ``region``'s STS endpoint, as delivered."""
    return json.dumps(
        {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/zelly-oncall/ana",
            },
            "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRole",
            "awsRegion": region,
            "requestParameters": {"roleArn": role_arn, "roleSessionName": "ana-p0"},
            "recipientAccountId": ACCOUNT,
        }
    )


def test_assuming_the_admin_role_pages_p0_through_an_alarm_on_the_trail(
    run: ProgramRun, stack_platform: Platform
) -> None:
    # Issue 12 red team: the page is a CloudWatch alarm (alarm JSON, which the pagers read) on a
    # metric filter of the multi-Region trail's log group (every Region's STS), on both stacks:
    # staging is P3 throughout except this, as the admin role reaches the whole account.
    name = f"{stack_platform.cluster}-break-glass-admin-assumed"
    log_filter = run.one(FILTER, name=name)
    assert log_filter.inputs["logGroupName"] == stack_platform.cloudtrail_log_group
    transformation = log_filter.inputs["metricTransformation"]
    alarm = run.one(METRIC_ALARM, name=name)
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        transformation["namespace"],
        transformation["name"],
    )
    assert transformation["value"] == "1"
    p0 = _p0_topic(run).outputs["arn"]
    assert alarm.inputs["alarmActions"] == [p0] and alarm.inputs["okActions"] == [p0]
    assert alarm.inputs["tags"][tags.SEVERITY] == "P0"
    condition = {k: alarm.inputs[k] for k in ("statistic", "period", "threshold", "comparisonOperator")}
    assert condition == {
        "statistic": "Sum",
        "period": 60,
        "threshold": 1,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["treatMissingData"]) == (1, "notBreaching")
    # The pattern matches the roles this run created, by their ARNs: the admin's, through any
    # Region's endpoint; never the investigator's.
    pattern = compile_pattern(log_filter.inputs["pattern"])
    admin = _role(run, stack_platform, "break-glass-admin").outputs["arn"]
    investigator = _role(run, stack_platform, "investigator").outputs["arn"]
    for region in ("ap-south-1", "us-east-1", "eu-west-1", "sa-east-1"):
        assert pattern.matches(_assume_role(admin, region)), region
        assert not pattern.matches(_assume_role(investigator, region)), region


def test_the_roles_are_named_where_the_page_looks_for_them(run: ProgramRun, stack_platform: Platform) -> None:
    # One derivation (stack_config's Platform) for the role the program creates and the name the
    # catalog's filter matches.
    admin = _role(run, stack_platform, "break-glass-admin")
    assert admin.inputs["name"] == stack_platform.break_glass_admin_role
    assert (
        _role(run, stack_platform, "investigator").inputs["name"]
        == stack_platform.break_glass_investigator_role
    )
    pattern = run.one(FILTER, name=f"{stack_platform.cluster}-break-glass-admin-assumed").inputs["pattern"]
    assert f'"*/{stack_platform.break_glass_admin_role}"' in pattern


def test_the_detail_rule_tells_the_p0_topic_who_and_names_the_page(
    run: ProgramRun, stack_platform: Platform
) -> None:
    admin = _role(run, stack_platform, "break-glass-admin")
    rule = run.one(RULE, name=f"{stack_platform.cluster}-break-glass-assumed")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["eventName"] == ["AssumeRole"]
    assert pattern["detail"]["requestParameters"]["roleArn"] == [admin.outputs["arn"]]
    target = run.one(TARGET, rule=rule.inputs["name"])
    assert target.inputs["arn"] == _p0_topic(run).outputs["arn"]
    template = json.loads(target.inputs["inputTransformer"]["inputTemplate"])
    assert template.startswith("BREAK-GLASS DETAIL: <who> assumed <role>")
    assert f"alarm {stack_platform.cluster}-break-glass-admin-assumed" in template


def test_global_endpoint_events_are_forwarded_from_us_east_1(
    run: ProgramRun, stack_platform: Platform
) -> None:
    forward = run.one(RULE, name=f"{stack_platform.cluster}-break-glass-assumed-forward")
    assert forward.inputs["region"] == "us-east-1"
    target = run.one(TARGET, rule=forward.inputs["name"])
    bus = f"arn:aws:events:{stack_platform.region}:{ACCOUNT}:event-bus/default"
    assert target.inputs["arn"] == bus and target.inputs["region"] == "us-east-1"
    role = next(r for r in run.of_type(ROLE) if r.outputs["arn"] == target.inputs["roleArn"])
    policy = run.one("aws:iam/rolePolicy:RolePolicy", role=role.inputs["name"])
    assert statements(policy.inputs["policy"]) == [
        {"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [bus], "Sid": "ForwardToPlatformBus"}
    ]


# Issue 12: the page must fire, in both regions, and the admin must not be able to silence it.
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def _page_rules(run: ProgramRun, platform: Platform) -> list:
    return [
        run.one(RULE, name=f"{platform.cluster}-break-glass-assumed"),
        run.one(RULE, name=f"{platform.cluster}-break-glass-assumed-forward"),
    ]


def test_both_page_rules_receive_read_only_cloudtrail_events(
    run: ProgramRun, stack_platform: Platform
) -> None:
    # sts:AssumeRole is a read-only management event: a rule in the default ENABLED state never
    # matches it, so the page would deploy, look enabled, and never fire.
    for rule in _page_rules(run, stack_platform):
        assert rule.inputs.get("state") == ALL_MANAGEMENT_EVENTS, rule.inputs["name"]


def test_the_page_rules_cover_the_platform_region_and_us_east_1(
    run: ProgramRun, stack_platform: Platform
) -> None:
    rules = _page_rules(run, stack_platform)
    assert {r.inputs.get("region") or stack_platform.region for r in rules} == {
        stack_platform.region,
        "us-east-1",
    }
    assert len({r.inputs["eventPattern"] for r in rules}) == 1


def _denies(run: ProgramRun) -> list[dict]:
    guard = run.one("aws:iam/rolePolicy:RolePolicy", name="keep-break-glass-visible")
    return [s for s in statements(guard.inputs["policy"]) if s["Effect"] == "Deny"]


def _denied_on(denies: list[dict], action: str) -> list[str]:
    return sorted(r for s in denies if action in s["Action"] for r in s["Resource"])


def test_the_admin_is_denied_every_part_of_its_page_by_exact_arn(
    run: ProgramRun, stack_platform: Platform
) -> None:
    denies = _denies(run)
    p0 = next(
        t
        for t in run.of_type("aws:sns/topic:Topic")
        if t.inputs["tags"][tags.SEVERITY] == "P0" and "region" not in t.inputs
    )
    key = p0.inputs["kmsMasterKeyId"]
    rules = sorted(r.outputs["arn"] for r in _page_rules(run, stack_platform))
    roles = sorted(
        _role(run, stack_platform, suffix).outputs["arn"]
        for suffix in ("break-glass-admin", "investigator", "break-glass-forwarder")
    )
    trails = [f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"]
    alarm = [run.one(METRIC_ALARM, name=f"{stack_platform.cluster}-break-glass-admin-assumed").outputs["arn"]]
    # CloudWatch Logs authorises calls on a group against its ":*" ARN.
    group = stack_platform.cloudtrail_log_group
    log_groups = [f"arn:aws:logs:{stack_platform.region}:{ACCOUNT}:log-group:{group}:*"]
    expected = {
        # The page: its alarm, and the metric filter on the trail's log group (issue 12 red team).
        "cloudwatch:DeleteAlarms": alarm,
        "cloudwatch:DisableAlarmActions": alarm,
        "cloudwatch:PutMetricAlarm": alarm,
        "logs:DeleteMetricFilter": log_groups,
        "logs:PutMetricFilter": log_groups,
        "logs:DeleteLogGroup": log_groups,
        "logs:PutTransformer": log_groups,
        # The topic policy (SetTopicAttributes, RemovePermission) and the topic itself.
        "sns:SetTopicAttributes": [p0.outputs["arn"]],
        "sns:RemovePermission": [p0.outputs["arn"]],
        "sns:DeleteTopic": [p0.outputs["arn"]],
        "kms:DisableKey": [key],
        "kms:ScheduleKeyDeletion": [key],
        "kms:PutKeyPolicy": [key],
        "cloudtrail:StopLogging": trails,
        "cloudtrail:DeleteTrail": trails,
        "cloudtrail:PutEventSelectors": trails,
        "events:DisableRule": rules,
        "events:DeleteRule": rules,
        "events:PutRule": rules,
        "events:RemoveTargets": rules,
        "events:PutTargets": rules,
        "iam:PutRolePolicy": roles,
        "iam:UpdateAssumeRolePolicy": roles,
        "iam:PutRolePermissionsBoundary": roles,
        "iam:DeleteRole": roles,
    }
    for action, resources in expected.items():
        assert _denied_on(denies, action) == sorted(resources), action


def test_subscriptions_are_kept_with_the_only_scope_iam_offers(
    run: ProgramRun, stack_platform: Platform
) -> None:
    # sns:Unsubscribe and sns:SetSubscriptionAttributes support no resource type and no service
    # condition key: "*" is the only resource, narrowed to the topic's region.
    denies = _denies(run)
    [subscriptions] = [s for s in denies if "sns:Unsubscribe" in s["Action"]]
    assert subscriptions["Action"] == ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
    assert subscriptions["Resource"] == ["*"]
    assert subscriptions["Condition"] == {"StringEquals": {"aws:RequestedRegion": stack_platform.region}}
    # Everything else is denied on exact ARNs, never on "*".
    assert all("*" not in s["Resource"] for s in denies if s is not subscriptions)


def test_a_session_below_iams_minimum_is_refused_before_anything_is_created() -> None:
    def fifteen_minutes(config: dict) -> None:
        config["incident-guardrails:platform"]["breakGlass"]["maxSessionSeconds"] = 900

    # IAM's MaxSessionDuration is 3600..43200: a 900 s role would fail at `pulumi up`.
    with pytest.raises(Exception, match="maxSessionSeconds: 900 is outside IAM's"):
        run_program("production", fifteen_minutes)


def test_the_investigator_cannot_read_the_pager_endpoints(run: ProgramRun, stack_platform: Platform) -> None:
    # Issue 12 red team: ReadOnlyAccess lists subscriptions with their endpoints, and a pager
    # endpoint holds its integration key. ListSubscriptionsByTopic is authorised against the topic;
    # GetSubscriptionAttributes and ListSubscriptions support no resource type: "*".
    investigator = _role(run, stack_platform, "investigator")
    policy = run.one("aws:iam/rolePolicy:RolePolicy", role=investigator.inputs["name"])
    assert policy.inputs["name"] == "no-pager-endpoints"
    denies = statements(policy.inputs["policy"])
    assert all(s["Effect"] == "Deny" and "Condition" not in s for s in denies)
    by_action = {action: s["Resource"] for s in denies for action in s["Action"]}
    assert by_action["sns:GetSubscriptionAttributes"] == ["*"]
    assert by_action["sns:ListSubscriptions"] == ["*"]
    # Every severity topic the run created, in every region (the us-east-1 health-check topics).
    topics = [t.outputs["arn"] for t in run.of_type(TOPIC)]
    assert topics and {t.split(":")[3] for t in topics} >= {stack_platform.region}
    for topic in topics:
        assert any(fnmatchcase(topic, r) for r in by_action["sns:ListSubscriptionsByTopic"]), topic
    # Nothing else is taken from ReadOnlyAccess: the guide's investigations read logs, CloudTrail,
    # ECS, RDS and metrics, never a subscription's endpoint.
    assert set(by_action) == {
        "sns:GetSubscriptionAttributes",
        "sns:ListSubscriptions",
        "sns:ListSubscriptionsByTopic",
    }
