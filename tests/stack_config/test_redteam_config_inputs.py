"""Red-team findings on the stack config (issue 12): inputs that passed validation but AWS refuses,
that never fire, or that deploy the same thing twice. Each is refused in one line naming the key;
a value that looks like a secret is never echoed.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest

from stack_config import StackConfigError, load_stack_config, platform_from_config
from stack_config.cron import next_fire, parse
from stack_config.schedule_expression import check_cron

KEY = "incident-guardrails:platform"
ONCALL = "zelly/pager/oncall-integration-key"
ACCOUNT = "123456789012"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _raw() -> dict[str, Any]:
    return copy.deepcopy(load_stack_config("production")[KEY])


def _refused(raw: dict[str, Any]) -> str:
    with pytest.raises(StackConfigError) as refused:
        platform_from_config(raw, "platform")
    message = str(refused.value)
    assert "\n" not in message
    return message


def _pager(secret: str, severity: str = "P0") -> dict[str, str]:
    return {"severity": severity, "protocol": "https", "pager": "pagerduty", "integrationKeySecret": secret}


# -- 4. one secret named two ways is one SNS subscription ------------------------------------


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:secretsmanager:ap-south-1:{ACCOUNT}:secret:{ONCALL}-AbCdEf",  # as AWS prints it
        f"arn:aws:secretsmanager:ap-south-1:{ACCOUNT}:secret:{ONCALL}-x9Y8z7",
    ],
)
def test_a_pager_secret_named_by_name_and_by_arn_is_one_subscription(arn: str) -> None:
    raw = _raw()
    raw["notifications"]["subscriptions"].append(_pager(arn))  # production already pages ONCALL on P0
    assert _refused(raw).startswith(
        "platform.notifications.subscriptions[9]: duplicate P0 https subscription (the same endpoint as "
        "subscriptions[5])"
    )


def test_with_an_account_id_an_arn_of_another_account_is_another_secret() -> None:
    raw = _raw()
    raw["accountId"] = ACCOUNT
    raw["notifications"]["subscriptions"].append(
        _pager(f"arn:aws:secretsmanager:ap-south-1:210987654321:secret:{ONCALL}-AbCdEf")
    )
    platform = platform_from_config(raw)
    assert len(platform.notifications.subscriptions) == 10
    raw["notifications"]["subscriptions"].append(
        _pager(f"arn:aws:secretsmanager:ap-south-1:{ACCOUNT}:secret:{ONCALL}-AbCdEf")
    )
    assert "subscriptions[10]: duplicate P0 https" in _refused(raw)


@pytest.mark.parametrize(
    "other",
    [
        _pager(f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:{ONCALL}-AbCdEf"),  # another Region
        _pager(f"arn:aws:secretsmanager:ap-south-1:{ACCOUNT}:secret:{ONCALL}-AbCdEf", severity="P2"),
        _pager(f"arn:aws:secretsmanager:ap-south-1:{ACCOUNT}:secret:zelly/pager/oncall-AbCdEf"),
    ],
)
def test_another_regions_secret_another_severity_or_another_name_is_another_subscription(other) -> None:
    raw = _raw()
    raw["notifications"]["subscriptions"].append(other)
    assert len(platform_from_config(raw).notifications.subscriptions) == 10


# -- 5a. cron expressions AWS refuses, or that never fire ------------------------------------


@pytest.mark.parametrize(
    "expression, message",
    [
        ("cron(0 20 * * ? *", "is not a cron(M H ...) expression"),
        ("cron(0 20 * * ?)", "is not a cron(M H ...) expression"),
        ("cron(60 20 * * ? *)", "is not a cron(M H ...) expression"),  # minute 60: not one fixed minute
        ("cron(0 20 32 * ? *)", "day-of-month 32 is outside 1-31"),
        ("cron(0 20 * 13 ? *)", "month 13 is outside 1-12"),
        ("cron(0 20 * JANUARY ? *)", "month 'JANUARY' is not a number or name"),
        ("cron(0 20 ? * 8 *)", "day-of-week 8 is outside 1-7"),
        ("cron(0 20 ? * MON#6 *)", "at most five of a weekday"),
        ("cron(0 20 ? * MON#1,FRI#3 *)", "'#' takes one day#n, alone in the field"),
        ("cron(0 20 * * ? 1969)", "year 1969 is outside 1970-2199"),
        ("cron(0 20 * * ? 2200)", "year 2200 is outside 1970-2199"),
        ("cron(0 20 */0 * ? *)", "the increment must be 1-31"),
        ("cron(0 20 1W,15 * ? *)", "L, W and ? stand alone"),
        ("cron(0 20 * * ? #)", "'#' is not a wildcard of this field"),
        ("cron(0 20 * * L *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 20 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        # Well-formed, and AWS takes them, but they never fire.
        ("cron(0 20 31 2 ? *)", "never fires"),  # February 31st
        ("cron(0 20 30 FEB ? *)", "never fires"),
        ("cron(0 20 31 4,6,9,11 ? *)", "never fires"),
        ("cron(0 20 * * ? 2020-2025)", "never fires"),  # the years have passed
        ("cron(0 20 29 2 ? 2027)", "never fires"),  # 2027 is no leap year
    ],
)
def test_a_backup_schedule_aws_refuses_or_that_never_fires_is_refused(expression: str, message: str) -> None:
    raw = _raw()
    raw["backup"]["snapshotSchedule"] = expression
    refusal = _refused(raw)
    assert refusal.startswith(f"platform.backup.snapshotSchedule: {expression!r}") and message in refusal


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 20 * * ? *)",
        "cron(0 20 ? * MON-FRI *)",
        "cron(0 20 ? * FRI-MON *)",  # wraps round the week
        "cron(0 20 L * ? *)",
        "cron(0 20 LW * ? *)",
        "cron(0 20 15W * ? *)",
        "cron(0 20 ? * 6L *)",
        "cron(0 20 ? * 2#1 *)",
        "cron(0 20 1/7 * ? *)",
        "cron(0 20 29 2 ? 2028)",
        "cron(0 20 1 JAN,jul ? 2027-2199)",
    ],
)
def test_a_backup_schedule_aws_accepts_and_that_fires_is_accepted(expression: str) -> None:
    raw = _raw()
    raw["backup"]["snapshotSchedule"] = expression
    assert platform_from_config(raw).backup.snapshot_schedule == expression


@pytest.mark.parametrize(
    "expression, after, expected",
    [
        ("cron(0 20 * * ? *)", NOW, datetime(2026, 11, 29, 20, 0)),
        ("cron(0 5 * * ? *)", NOW, datetime(2026, 11, 30, 5, 0)),
        ("cron(0 20 29 2 ? *)", NOW, datetime(2028, 2, 29, 20, 0)),
        ("cron(0 20 L * ? *)", NOW, datetime(2026, 11, 30, 20, 0)),
        ("cron(0 20 ? * 6L *)", NOW, datetime(2026, 12, 25, 20, 0)),  # the last Friday of December
        ("cron(0 20 ? * 2#1 *)", NOW, datetime(2026, 12, 7, 20, 0)),  # the first Monday
        ("cron(0 20 1W * ? *)", NOW, datetime(2026, 12, 1, 20, 0)),
        ("cron(0 20 LW * ? *)", datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 29, 20, 0)),
        ("cron(0 20 * * ? 2026)", datetime(2026, 12, 31, 21, tzinfo=timezone.utc), None),
    ],
)
def test_the_next_time_a_cron_expression_fires(expression: str, after: datetime, expected) -> None:
    fires = next_fire(parse(expression), after)
    assert fires == (expected.replace(tzinfo=timezone.utc) if expected else None)


def test_a_year_that_is_still_to_come_fires_until_it_has_passed() -> None:
    check_cron("cron(0 20 1 1 ? 2027)", "k", now=NOW)
    with pytest.raises(
        StackConfigError, match=r"^k: 'cron\(0 20 1 1 \? 2027\)' never fires after 2027-01-02"
    ):
        check_cron("cron(0 20 1 1 ? 2027)", "k", now=datetime(2027, 1, 2, tzinfo=timezone.utc))


# -- 5b. Regions that exist, and ARNs whose partition and Region agree -----------------------


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("backup.copyRegion", "ap-south-9", "platform.backup.copyRegion: 'ap-south-9' is not an AWS Region"),
        ("backup.copyRegion", "xx-east-1", "platform.backup.copyRegion: 'xx-east-1' is not an AWS Region"),
        (
            "backup.copyRegion",
            "cn-north-1",
            "platform.backup.copyRegion: cn-north-1 is in partition aws-cn, the platform's ap-south-1 in aws",
        ),
        ("region", "ap-south-9", "platform.region: 'ap-south-9' is not an AWS Region"),
    ],
)
def test_a_region_aws_does_not_have_is_refused(path: str, value: str, message: str) -> None:
    raw = _raw()
    section, _, key = path.rpartition(".")
    (raw[section] if section else raw)[key] = value
    assert _refused(raw).startswith(message)


def test_a_real_copy_region_of_the_same_partition_is_accepted() -> None:
    raw = _raw()
    raw["backup"]["copyRegion"] = "ap-south-2"
    assert platform_from_config(raw).backup.copy_region == "ap-south-2"


@pytest.mark.parametrize(
    "arn, message",
    [
        (
            f"arn:aws-cn:kms:ap-south-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "the ARN names partition aws-cn and Region ap-south-1, which is in partition aws",
        ),
        (
            f"arn:aws:kms:cn-north-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "the ARN names partition aws and Region cn-north-1, which is in partition aws-cn",
        ),
        (
            f"arn:aws-us-gov:kms:us-gov-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "the ARN is in partition aws-us-gov, the platform in aws (ap-south-1)",
        ),
        (
            f"arn:aws:kms:ap-south-7:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "the ARN names partition aws and Region ap-south-7, which is no AWS Region",
        ),
    ],
)
def test_a_kms_key_arn_whose_partition_and_region_disagree_is_refused(arn: str, message: str) -> None:
    raw = _raw()
    raw["aurora"]["kmsKeyArn"] = arn
    assert _refused(raw).startswith(f"platform.aurora.kmsKeyArn: {message}")


@pytest.mark.parametrize(
    "arn, message",
    [
        (
            f"arn:aws:secretsmanager:cn-north-1:{ACCOUNT}:secret:zelly/pager/x-AbCdEf",
            "which is in partition aws-cn",
        ),
        (
            f"arn:aws-us-gov:secretsmanager:us-gov-west-1:{ACCOUNT}:secret:zelly/pager/x-AbCdEf",
            "the ARN is in partition aws-us-gov, the platform in aws",
        ),
    ],
)
def test_a_pager_secret_arn_outside_the_platforms_partition_is_refused(arn: str, message: str) -> None:
    raw = _raw()
    raw["notifications"]["subscriptions"].append(_pager(arn))
    refusal = _refused(raw)
    assert refusal.startswith("platform.notifications.subscriptions[9].integrationKeySecret: ")
    assert message in refusal


# -- 5c. a pager key pasted where its secret's name goes -------------------------------------

PASTED_KEYS = [
    "0123456789abcdef0123456789abcdef",  # PagerDuty: 32 hex digits
    "0123456789ABCDEF0123456789ABCDEF",
    "1b4e28ba-2fa1-11d2-883f-0016d3cca427",  # Opsgenie: a UUID
]


@pytest.mark.parametrize("key", PASTED_KEYS)
def test_a_pasted_pager_key_is_refused_and_never_echoed(key: str) -> None:
    raw = _raw()
    raw["notifications"]["subscriptions"][5]["integrationKeySecret"] = key
    refusal = _refused(raw)
    assert refusal.startswith(
        "platform.notifications.subscriptions[5].integrationKeySecret: looks like a pager integration key"
    )
    assert key not in refusal and key.lower() not in refusal.lower()


# -- 5d. email addresses SNS can deliver to ----------------------------------------------------


@pytest.mark.parametrize(
    "address", ["sörén@zelly.in", "oncall@zëlly.in", "on call@zelly.in", "оncall@zelly.in"]
)
def test_a_non_ascii_email_address_is_refused(address: str) -> None:
    raw = _raw()
    raw["notifications"]["subscriptions"][0]["endpoint"] = address
    assert _refused(raw).startswith("platform.notifications.subscriptions[0].endpoint: ")


@pytest.mark.parametrize("address", ["oncall+p0@zelly.in", "o.n-call@xn--zlly-9oa.in"])
def test_an_ascii_email_address_is_accepted(address: str) -> None:
    raw = _raw()
    raw["notifications"]["subscriptions"][0]["endpoint"] = address
    assert platform_from_config(raw).notifications.subscriptions[0].endpoint == address


# -- 5e. health-check URLs Route 53 can request ------------------------------------------------


@pytest.mark.parametrize(
    "url, message",
    [
        (
            "https://13.232.1.10/health",
            "names an IP address; Route 53 resolves the health check's host by DNS",
        ),
        ("http://10.0.0.1:8080/health", "names an IP address"),
        ("https://api.zelly.in/héalth", "printable ASCII: percent-encode anything else"),
        ("https://api.zelly.in/health check", "printable ASCII"),
    ],
)
def test_a_health_check_url_route53_cannot_request_is_refused(url: str, message: str) -> None:
    raw = _raw()
    raw["services"][0]["healthCheckUrl"] = url
    refusal = _refused(raw)
    assert refusal.startswith("platform.services[0].healthCheckUrl: ") and message in refusal


@pytest.mark.parametrize("url", ["https://api.zelly.in/h%C3%A9alth", "https://api.zelly.in/health?deep=1"])
def test_a_percent_encoded_or_query_path_is_accepted(url: str) -> None:
    raw = _raw()
    raw["services"][0]["healthCheckUrl"] = url
    assert platform_from_config(raw).services[0].health_check_url == url


# -- the environment names metric namespaces and role descriptions ------------------------------


# Letters to a tag (which the tag check accepts), but not ASCII.
@pytest.mark.parametrize("environment", ["produktion-ü", "Ωmega"])
def test_an_environment_aws_cannot_put_in_a_namespace_or_role_description_is_refused(
    environment: str,
) -> None:
    raw = _raw()
    raw["environment"] = environment
    assert _refused(raw).startswith("platform.environment: holds U+")
