"""The typed description of the platform the incident guide protects.

One instance is built from a stack's config (``Pulumi.<stack>.yaml``) and read by the Pulumi
program, the drills and the seeding code alike, so the platform's names live in one place.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

from . import backup_windows, regions
from .derived_names import check_derived_names
from .exceptions import StackConfigError
from .schedule_expression import check_cron, check_schedule_expression
from .typed_mapping import require_pattern

SEVERITIES = ("P0", "P1", "P2", "P3")
PAGING_SEVERITIES = ("P0", "P1", "P2")
# How a severity's topic reaches people: email, or HTTPS to a pager's CloudWatch integration.
SUBSCRIPTION_PROTOCOLS = ("email", "https")
# The pagers whose CloudWatch integration takes SNS HTTPS deliveries (Opsgenie's US and EU
# instances differ in host). The program builds each one's events endpoint around the
# integration key it reads from Secrets Manager at deploy time (components/notifications.py).
PAGER_KINDS = ("pagerduty", "opsgenie", "opsgenie-eu")
_REGION = r"[a-z]{2}(-gov)?-[a-z]+-\d"
VAULT_LOCK_MODES = ("off", "governance", "compliance")
# IAM CreateRole/UpdateRole MaxSessionDuration: "from 1 hour to 12 hours".
MIN_ROLE_SESSION_SECONDS = 3600
MAX_ROLE_SESSION_SECONDS = 43200

# The names the stack config holds, each as AWS documents it (the API reference of the call that
# creates it); a name AWS would refuse is refused here, naming the key, before anything is deployed.
#
# RDS CreateDBCluster / RestoreDBClusterToPointInTime, DBClusterIdentifier: "1 to 63 letters,
# numbers, or hyphens; first character must be a letter; can't end with a hyphen or contain two
# consecutive hyphens".
DB_CLUSTER_ID = re.compile(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)")
# RDS CreateDBCluster, MasterUsername (Aurora MySQL): "1 to 16 letters or numbers; first character
# must be a letter" (and not a reserved word of the engine, which is not checked here).
_MASTER_USERNAME = r"[A-Za-z][A-Za-z0-9]{0,15}"
# ECS CreateCluster / CreateService: "Up to 255 letters (uppercase and lowercase), numbers,
# underscores, and hyphens". Service names here must also start with a letter or digit, so no
# service name can be read as a command-line flag (--service -x).
_ECS_CLUSTER = r"[A-Za-z0-9_\-]{1,255}"
_ECS_SERVICE = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,254}"
# CloudWatch Logs CreateLogGroup: 1-512 characters of [.-_/#A-Za-z0-9]; "Log group names can't
# start with the string aws/" (AWS's own groups, /aws/rds/..., start with a slash).
_LOG_GROUP = r"(?!aws/)[A-Za-z0-9_.\-/#]{1,512}"
_LOG_GROUP_RULE = "a valid log group name (1-512 of A-Z a-z 0-9 _ - . / #, not starting with aws/)"
# CloudTrail CreateTrail, Name: 3-128 ASCII letters, digits, periods, underscores and dashes,
# starting and ending with a letter or digit, with no adjacent periods, underscores or dashes.
_TRAIL_NAME = r"(?!.*[._\-]{2})[A-Za-z0-9][A-Za-z0-9._\-]{1,126}[A-Za-z0-9]"
# KMS key ARN (an IAM policy grants on the key's ARN; an alias ARN names no key there):
# arn:<partition>:kms:<region>:<account>:key/<key id, or mrk-... for a multi-Region key>.
_KMS_KEY_ARN = r"arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:key/(mrk-)?[A-Za-z0-9-]{1,64}"
_KMS_KEY_ARN_RULE = "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias)"
# Secrets Manager CreateSecret, Name: 1-512 ASCII letters, numbers and /_+=.@-
_SECRET_NAME = r"[A-Za-z0-9/_+=.@\-]{1,512}"
# A secret's ARN: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters
# Secrets Manager appends> (GetSecretValue takes the name or the ARN as SecretId).
_SECRET_ARN = rf"arn:(aws(?:-cn|-us-gov)?):secretsmanager:([a-z]{{2}}(?:-gov)?-[a-z]+-\d):(\d{{12}}):secret:({_SECRET_NAME})"
# The six characters Secrets Manager appends to a secret's name in its ARN ("-AbCdEf"): an ARN
# names the same secret as the name without them.
_SECRET_ARN_SUFFIX = r"-[A-Za-z0-9]{6}"
# What a pasted pager key looks like: PagerDuty's integration keys are 32 hex digits, Opsgenie's
# API keys UUIDs. Either fits a secret name's characters, so it would pass as one.
_PAGER_KEY = r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_SECRET_REFERENCE_RULE = (
    "a Secrets Manager secret name (1-512 of A-Z a-z 0-9 / _ + = . @ -) or secret ARN "
    "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
)
# An email address SNS can subscribe: local part, @, a domain with a dot; ASCII only. SNS
# documents no internationalized (SMTPUTF8) addresses, and the SES it sends email through takes
# 7-bit ASCII addresses only (a non-ASCII domain goes in its punycode form, xn--...).
_EMAIL = r"[!-?A-~]+@[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?\.[A-Za-z]{2,}"
# Systems Manager PutParameter, Name: a-zA-Z0-9_.- with "/" between hierarchy levels (a leading
# "/" for hierarchies, which this stack always uses); at most fifteen levels; "can't be prefixed
# with aws or ssm (case-insensitive)"; at most 1011 characters including the ARN before the name
# (checked in Platform.validate, which knows the region).
_SSM_PARAMETER = r"(?i:(?!/(aws|ssm)))/[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+){0,14}"
SSM_PARAMETER_MAX = 1011
# SNS CreateTopic: 1-256 ASCII letters, numbers, underscores, hyphens; SQS CreateQueue: up to 80
# of the same. The prefix names <prefix>-p0..p3 (topics), <prefix>-p3-issues (queue), the drills'
# <prefix>-pN-drill-subscriber queues (80 - 20 = 60) and the KMS alias alias/<prefix>.
_TOPIC_PREFIX = r"[A-Za-z0-9_\-]{1,60}"
# IAM: user and role names 1-64 of [\w+=,.@-]; a path is "/" or /segments/ (up to 512), written
# here between the type and the name: role/<path/>name.
_IAM_NAME = r"[A-Za-z0-9+=,.@_\-]{1,64}"
_IAM_PATH = r"(?:[A-Za-z0-9+=,.@_\-]+/){0,64}"
_PRINCIPAL = rf"(arn:aws[a-z\-]*:iam::\d{{12}}:)?(user|role)/(?=.{{1,577}}$){_IAM_PATH}{_IAM_NAME}"
# Tags (Resource Groups Tagging API, as every service documents them): keys 1-128, values 0-256
# characters of letters, numbers, spaces and _.:/=+-@; keys can't start with aws: (reserved).
_TAG_PUNCTUATION = frozenset("_.:/=+-@ ")
_ENVIRONMENT = r"[A-Za-z0-9_.:/=+\-@ ]+"


def _check_tag_text(text: str, path: str, what: str, limit: int) -> None:
    if len(text) > limit:
        raise StackConfigError(f"{path}: {what} {text[:40]!r}... is {len(text)} characters, at most {limit}")
    for character in text:
        if (
            character not in _TAG_PUNCTUATION
            and unicodedata.category(character)[0] not in "LN"
            and unicodedata.category(character) != "Zs"
        ):
            raise StackConfigError(
                f"{path}: {what} {text!r} holds U+{ord(character):04X}; tags "
                "allow letters, numbers, spaces and _ . : / = + - @"
            )


def _partition(region: str) -> str:
    return regions.partition_of(region) or "aws"


def _check_arn_place(arn: str, platform_region: str, path: str) -> None:
    """An ARN's partition is the one its Region belongs to, and the platform's (botocore's list)."""
    _, partition, _, region, *_ = arn.split(":")
    if regions.partition_of(region) != partition:
        raise StackConfigError(
            f"{path}: the ARN names partition {partition} and Region {region}, which is "
            + (
                f"in partition {regions.partition_of(region)}"
                if regions.is_region(region)
                else "no AWS Region"
            )
        )
    if partition != _partition(platform_region):
        raise StackConfigError(
            f"{path}: the ARN is in partition {partition}, the platform in {_partition(platform_region)} "
            f"({platform_region}); one stack's resources share a partition"
        )


# Elastic Load Balancing's type names (DescribeLoadBalancers Type): the alarm catalog picks the
# namespace (AWS/ApplicationELB, AWS/NetworkELB), metrics and dimensions of each type.
LOAD_BALANCER_TYPES = ("application", "network")
# Route 53 CreateHealthCheck: FullyQualifiedDomainName and ResourcePath are at most 255 characters.
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_HEALTH_CHECK_HOST = rf"(?=.{{1,255}}$){_DNS_LABEL}(?:\.{_DNS_LABEL})+"
# The path is sent in the HTTP request line: printable ASCII (anything else percent-encoded).
_HEALTH_CHECK_PATH = r"/[!-~]{0,254}"
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"


def _check_health_check_url(url: str, path: str) -> None:
    """An http(s) URL a Route 53 health check can request: host, optional port, path."""
    match = re.fullmatch(r"(https?)://([^/:?#]+)(?::(\d{1,5}))?(/[^#]*)?", url)
    if (
        match is None
        or not re.fullmatch(_HEALTH_CHECK_HOST, match.group(2))
        or (match.group(3) is not None and not 1 <= int(match.group(3)) <= 65535)
        or not re.fullmatch(_HEALTH_CHECK_PATH, match.group(4) or "/")
    ):
        raise StackConfigError(
            f"{path}: {url!r} is not an http(s) URL a Route 53 health check can request "
            "(https://host[:port]/path, a domain name of at most 255 and a path of at most 255 "
            "characters, printable ASCII: percent-encode anything else)"
        )
    if re.fullmatch(_IPV4, match.group(2)):
        # The program sets FullyQualifiedDomainName only: "If you don't specify a value for
        # IPAddress, Route 53 sends a DNS request to the domain that you specify", and an address
        # is no domain (nor does it give TLS a name to check): the check would fail for ever.
        raise StackConfigError(
            f"{path}: {url!r} names an IP address; Route 53 resolves the health check's host by "
            "DNS, so give the public URL's domain name"
        )


@dataclass(frozen=True)
class Service:
    """One ECS service, its log group and (for web services) its load-balancer target group.

    ``loadBalancerType`` (application or network) is the type of the load balancer in front of
    the target group; the program checks it against AWS at preview. ``healthCheckUrl`` is the
    public URL an external Route 53 health check requests (the guide's first P0-A triage step).
    """

    name: str
    log_group: str
    desired_count: int
    target_group: str | None = None
    container_port: int = 8080
    load_balancer_type: str | None = None
    health_check_url: str | None = None

    def validate(self, path: str) -> None:
        require_pattern(
            self.name,
            _ECS_SERVICE,
            f"{path}.name",
            "a valid ECS service name (up to 255 letters, digits, _ and -, starting with a letter or digit)",
        )
        require_pattern(self.log_group, _LOG_GROUP, f"{path}.logGroup", _LOG_GROUP_RULE)
        if self.target_group is not None:
            require_pattern(
                self.target_group,
                r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,30}[A-Za-z0-9])?",
                f"{path}.targetGroup",
                "a valid target group name (1-32 chars)",
            )
        if not 0 <= self.desired_count <= 1000:
            raise StackConfigError(f"{path}.desiredCount: {self.desired_count} is outside 0..1000")
        if not 1 <= self.container_port <= 65535:
            raise StackConfigError(f"{path}.containerPort: {self.container_port} is not a port")
        if self.load_balancer_type is not None:
            if self.target_group is None:
                raise StackConfigError(f"{path}.loadBalancerType: only a service with a targetGroup has one")
            if self.load_balancer_type not in LOAD_BALANCER_TYPES:
                raise StackConfigError(
                    f"{path}.loadBalancerType: {self.load_balancer_type!r} is not one of "
                    f"{', '.join(LOAD_BALANCER_TYPES)}"
                )
        if self.health_check_url is not None:
            _check_health_check_url(self.health_check_url, f"{path}.healthCheckUrl")


@dataclass(frozen=True)
class AuroraCluster:
    """The Aurora MySQL cluster, the secret holding its master credentials and its audit log.

    ``kmsKeyArn`` and ``masterSecretKmsKeyArn``: the customer-managed KMS keys that encrypt the
    cluster and the master secret, when they are not AWS-managed (aws/rds, aws/secretsmanager).
    The runbook roles then get the KMS calls RDS and Secrets Manager make with them.
    """

    cluster_id: str
    master_secret_id: str
    audit_log_group: str
    endpoint_parameter: str
    engine: str = "aurora-mysql"
    master_username: str = "admin"
    backup_retention_days: int = 7
    kms_key_arn: str | None = None
    master_secret_kms_key_arn: str | None = None

    def validate(self, path: str) -> None:
        require_pattern(
            self.cluster_id,
            DB_CLUSTER_ID.pattern,
            f"{path}.clusterId",
            "a valid DB cluster identifier (1-63 letters, digits or hyphens, first a "
            "letter, no trailing hyphen, no two consecutive hyphens)",
        )
        require_pattern(
            self.master_secret_id,
            _SECRET_NAME,
            f"{path}.masterSecretId",
            "a Secrets Manager secret name (1-512 of A-Z a-z 0-9 / _ + = . @ -)",
        )
        require_pattern(self.audit_log_group, _LOG_GROUP, f"{path}.auditLogGroup", _LOG_GROUP_RULE)
        require_pattern(
            self.endpoint_parameter,
            _SSM_PARAMETER,
            f"{path}.endpointParameter",
            "an SSM parameter name: /level/.../name, at most 15 levels of "
            "A-Z a-z 0-9 _ . -, not starting with aws or ssm",
        )
        require_pattern(
            self.master_username,
            _MASTER_USERNAME,
            f"{path}.masterUsername",
            "an Aurora MySQL master user name (1-16 letters or digits, first a letter)",
        )
        if not 1 <= self.backup_retention_days <= 35:
            raise StackConfigError(
                f"{path}.backupRetentionDays: {self.backup_retention_days} is outside 1..35"
            )
        for key, value in (
            ("kmsKeyArn", self.kms_key_arn),
            ("masterSecretKmsKeyArn", self.master_secret_kms_key_arn),
        ):
            if value is not None:
                require_pattern(value, _KMS_KEY_ARN, f"{path}.{key}", _KMS_KEY_ARN_RULE)


@dataclass(frozen=True)
class Subscription:
    """Who is paged for a severity: an email address, or a pager reached over HTTPS.

    An ``email`` subscription gives its ``endpoint``. An ``https`` subscription is a pager's
    CloudWatch integration: ``pager`` names its kind (PAGER_KINDS) and ``integrationKeySecret``
    the Secrets Manager secret (name, or ARN for another region) whose value is the integration
    key. The pager's URL holds that key, so it never appears in the stack file: the program reads
    the secret at deploy time and passes the endpoint to AWS as a Pulumi secret.
    """

    severity: str
    protocol: str
    endpoint: str | None = None
    pager: str | None = None
    integration_key_secret: str | None = None

    def validate(self, path: str) -> None:
        if self.severity not in PAGING_SEVERITIES:
            raise StackConfigError(
                f"{path}.severity: {self.severity!r} is not one of {', '.join(PAGING_SEVERITIES)}"
            )
        if self.protocol not in SUBSCRIPTION_PROTOCOLS:
            raise StackConfigError(
                f"{path}.protocol: {self.protocol!r} is not email or https (a pager takes https only)"
            )
        if self.protocol == "email":
            self._validate_email(path)
        else:
            self._validate_pager(path)

    def _validate_email(self, path: str) -> None:
        for key, value in (("pager", self.pager), ("integrationKeySecret", self.integration_key_secret)):
            if value is not None:
                raise StackConfigError(f"{path}.{key}: only an https (pager) subscription has one")
        if self.endpoint is None:
            raise StackConfigError(f"{path}.endpoint: required for an email subscription")
        require_pattern(self.endpoint, _EMAIL, f"{path}.endpoint", "an email address")

    def _validate_pager(self, path: str) -> None:
        if self.endpoint is not None:
            raise StackConfigError(
                f"{path}.endpoint: an https subscription names its pager and integrationKeySecret "
                "instead; the pager's URL holds the integration key, which stays out of the stack file"
            )
        if self.pager not in PAGER_KINDS:
            raise StackConfigError(
                f"{path}.pager: {self.pager!r} is not a known pager ({', '.join(PAGER_KINDS)})"
                if self.pager is not None
                else f"{path}.pager: required for an https subscription ({', '.join(PAGER_KINDS)})"
            )
        reference = self.integration_key_secret
        if reference is None:
            raise StackConfigError(
                f"{path}.integrationKeySecret: required for an https subscription "
                "(the Secrets Manager secret holding the pager's integration key)"
            )
        if re.fullmatch(_PAGER_KEY, reference):
            # Not echoed either: it is a key, and it must not spread to CI logs too.
            raise StackConfigError(
                f"{path}.integrationKeySecret: looks like a pager integration key itself (32 hex "
                "digits or a UUID), not the name of the secret that holds it; put the key in a "
                "Secrets Manager secret, name the secret here, and rotate the key: it was in the stack file"
            )
        if not (re.fullmatch(_SECRET_NAME, reference) or re.fullmatch(_SECRET_ARN, reference)):
            # The value is not echoed: a key or URL pasted here must not spread to CI logs too.
            raise StackConfigError(
                f"{path}.integrationKeySecret: not {_SECRET_REFERENCE_RULE}; the key itself "
                "belongs in the secret"
            )

    def secret_region(self, platform_region: str) -> str:
        """The region of the integration-key secret: its ARN's, else the platform's."""
        match = re.fullmatch(_SECRET_ARN, self.integration_key_secret or "")
        return match.group(2) if match else platform_region

    def secret(
        self, platform_region: str | None, account_id: str | None = None
    ) -> tuple[str | None, str | None, str]:
        """The integration-key secret as (Region, account, name), however the entry names it.

        An ARN carries the six characters Secrets Manager appends to the name; a name means the
        platform's Region and the deploying account (``accountId``, when the config gives it).
        """
        reference = self.integration_key_secret or ""
        match = re.fullmatch(_SECRET_ARN, reference)
        if match is None:
            return (platform_region, account_id, reference)
        name = re.sub(rf"{_SECRET_ARN_SUFFIX}$", "", match.group(4))
        return (match.group(2), match.group(3), name)

    def identity(self, platform_region: str | None, account_id: str | None = None) -> tuple[str | None, ...]:
        """What makes two subscriptions the same on AWS: one topic, one endpoint. A pager's
        endpoint is its kind and key, so its secret, however named (name or ARN); its account is
        None when unknown (a name, and no accountId), and then matches any."""
        if self.protocol == "email":
            return (self.severity, self.protocol, str(self.endpoint))
        region, account, name = self.secret(platform_region, account_id)
        return (self.severity, self.protocol, str(self.pager), region, account, name)


@dataclass(frozen=True)
class Notifications:
    """Topic names per paging severity, the P3 queue, and their subscriptions."""

    topic_prefix: str
    subscriptions: tuple[Subscription, ...] = ()

    def validate(self, path: str) -> None:
        require_pattern(
            self.topic_prefix,
            _TOPIC_PREFIX,
            f"{path}.topicPrefix",
            "a topic name prefix (1-60 letters, digits, _ and -; the topics, queues "
            "and key alias made from it must stay valid SNS, SQS and KMS names)",
        )
        # Here without the platform's Region (the platform checks again with it, so that a
        # secret's name and its ARN are one secret).
        self.check_duplicates(path, None, None)

    def check_duplicates(self, path: str, platform_region: str | None, account_id: str | None) -> None:
        """SNS holds one subscription per topic and endpoint: two entries would fight over it.

        A pager's secret named by name in one entry and by ARN in another is one secret (the
        ARN's Region and account the platform's, its name that name plus Secrets Manager's six
        characters), and so one endpoint."""
        identities = [s.identity(platform_region, account_id) for s in self.subscriptions]
        for index, identity in enumerate(identities):
            earlier = next((i for i in range(index) if _same_endpoint(identities[i], identity)), None)
            if earlier is not None:
                subscription = self.subscriptions[index]
                raise StackConfigError(
                    f"{path}.subscriptions[{index}]: duplicate {subscription.severity} "
                    f"{subscription.protocol} subscription (the same endpoint as subscriptions[{earlier}])"
                )

    def topic_name(self, severity: str) -> str:
        return f"{self.topic_prefix}-{severity.lower()}"

    @property
    def p3_queue_name(self) -> str:
        return f"{self.topic_prefix}-p3-issues"


@dataclass(frozen=True)
class JobQueue:
    """A BullMQ queue whose backlog the guide checks (e.g. SHOPIFY_WEBHOOK) and its alarm level."""

    name: str
    max_waiting_jobs: int = 1000

    def validate(self, path: str) -> None:
        require_pattern(self.name, r"[A-Za-z0-9_.\-]{1,128}", f"{path}.name", "a queue name")
        if self.max_waiting_jobs < 1:
            raise StackConfigError(f"{path}.maxWaitingJobs: {self.max_waiting_jobs} is below 1")


@dataclass(frozen=True)
class BreakGlass:
    """Who may assume the break-glass admin and read-only investigator roles.

    Principals are IAM ARNs of users or roles, or ``user/<name>`` / ``role/<name>`` in the
    deploying account. Investigators default to the admin principals.
    """

    admin_principals: tuple[str, ...]
    investigator_principals: tuple[str, ...] = ()
    max_session_seconds: int = 3600

    def validate(self, path: str) -> None:
        if not self.admin_principals:
            raise StackConfigError(f"{path}.adminPrincipals: at least one principal is required")
        for key, principals in (
            ("adminPrincipals", self.admin_principals),
            ("investigatorPrincipals", self.investigator_principals),
        ):
            for index, principal in enumerate(principals):
                require_pattern(
                    principal,
                    _PRINCIPAL,
                    f"{path}.{key}[{index}]",
                    "an IAM user/role ARN or user/<name> or role/<name>",
                )
        # The role's MaxSessionDuration: IAM accepts 3600..43200 (CreateRole). The policy pack
        # holds people's roles to one hour; a shorter session is the caller's DurationSeconds
        # (900..MaxSessionDuration), which no condition key can force (docs/deployment.md).
        if not MIN_ROLE_SESSION_SECONDS <= self.max_session_seconds <= MAX_ROLE_SESSION_SECONDS:
            raise StackConfigError(
                f"{path}.maxSessionSeconds: {self.max_session_seconds} is outside IAM's "
                f"MaxSessionDuration range {MIN_ROLE_SESSION_SECONDS}..{MAX_ROLE_SESSION_SECONDS}; "
                "for shorter sessions assume the role with --duration-seconds (900 or more)"
            )

    @property
    def investigators(self) -> tuple[str, ...]:
        return self.investigator_principals or self.admin_principals


@dataclass(frozen=True)
class BackupSettings:
    """AWS Backup of the Aurora cluster. Point-in-time restore keeps ``aurora.backupRetentionDays``.

    ``snapshotSchedule`` and ``continuousSchedule`` are daily cron expressions in UTC, at least one
    job window (start plus completion, 7 hours) apart: both rules back up the same cluster.

    ``vaultLock``: ``off``; ``governance`` (privileged IAM users can still remove the lock); or
    ``compliance`` (after ``vaultLockGraceDays`` nobody, not even root, can shorten retention or
    delete the vault before its backups expire: irreversible by design).
    """

    copy_region: str | None = None
    snapshot_retention_days: int = 35
    copy_retention_days: int = 35
    snapshot_schedule: str = "cron(0 20 * * ? *)"
    # The continuous (point-in-time) rule's daily job; AWS Backup's own default time (05:00 UTC),
    # kept a full job window away from the snapshot rule's (see backup_windows).
    continuous_schedule: str = "cron(0 5 * * ? *)"
    vault_lock: str = "off"
    vault_lock_grace_days: int = 3

    def validate(self, path: str) -> None:
        if self.copy_region is not None:
            require_pattern(self.copy_region, _REGION, f"{path}.copyRegion", "an AWS region name")
        for key, days in (
            ("snapshotRetentionDays", self.snapshot_retention_days),
            ("copyRetentionDays", self.copy_retention_days),
        ):
            if not 1 <= days <= 36500:
                raise StackConfigError(f"{path}.{key}: {days} is outside 1..36500")
        self._check_schedules(path)
        if self.vault_lock not in VAULT_LOCK_MODES:
            raise StackConfigError(
                f"{path}.vaultLock: {self.vault_lock!r} is not one of {', '.join(VAULT_LOCK_MODES)}"
            )
        if not 3 <= self.vault_lock_grace_days <= 36500:
            raise StackConfigError(
                f"{path}.vaultLockGraceDays: {self.vault_lock_grace_days} is below AWS's minimum of 3"
            )

    def _check_schedules(self, path: str) -> None:
        """Both rules back up the same cluster, and AWS Backup runs one job per resource at a time."""
        times: dict[str, int] = {}
        for key, expression in (
            ("snapshotSchedule", self.snapshot_schedule),
            ("continuousSchedule", self.continuous_schedule),
        ):
            minutes = backup_windows.time_of_day(expression)
            if minutes is None:
                raise StackConfigError(
                    f"{path}.{key}: {expression!r} is not a cron(M H ...) expression "
                    "at one fixed minute and hour (UTC)"
                )
            # AWS Backup takes EventBridge's cron syntax; refused too: a schedule that never fires.
            check_cron(expression, f"{path}.{key}")
            times[key] = minutes
        window = backup_windows.window_minutes(
            backup_windows.START_WINDOW_MINUTES, backup_windows.COMPLETION_WINDOW_MINUTES
        )
        apart = backup_windows.minutes_apart(times["snapshotSchedule"], times["continuousSchedule"])
        if apart < window:
            raise StackConfigError(
                f"{path}.continuousSchedule: starts at {backup_windows.clock(times['continuousSchedule'])} "
                f"UTC, {apart} minutes from snapshotSchedule "
                f"({backup_windows.clock(times['snapshotSchedule'])}); AWS Backup runs one job per "
                f"resource at a time, so the two must be at least {window} minutes apart "
                "(start window plus completion window)"
            )


@dataclass(frozen=True)
class GameDay:
    """A recurring game day, announced by an EventBridge schedule on the P3 topic.

    The drills themselves run from CI or a laptop (``python -m drills run <scenario>``). P3
    pages nobody; its issue-tracker queue files the announcement, so each game day gets an
    issue that names the scenario and collects its findings. Off unless ``enabled``;
    ``schedule`` is an EventBridge Scheduler expression in UTC, like the guide's times.
    """

    enabled: bool = False
    schedule: str | None = None
    scenario: str = "all"

    def validate(self, path: str) -> None:
        if self.schedule is not None:
            check_schedule_expression(self.schedule, f"{path}.schedule")
        elif self.enabled:
            raise StackConfigError(f"{path}.schedule: required when {path}.enabled is true")
        require_pattern(
            self.scenario,
            r"all|[a-z0-9][a-z0-9\-]{0,62}",
            f"{path}.scenario",
            "'all' or a scenario id such as p0-a",
        )


@dataclass(frozen=True)
class DrillSafety:
    """Which real AWS accounts drills may inject faults into (``--target aws``).

    Empty by default: no account is drilled until someone lists it here. ``productionAccounts``
    are never drilled, whichever stack names them.
    """

    allowed_accounts: tuple[str, ...] = ()
    production_accounts: tuple[str, ...] = ()

    def validate(self, path: str) -> None:
        for key, accounts in (
            ("allowedAccounts", self.allowed_accounts),
            ("productionAccounts", self.production_accounts),
        ):
            for index, account in enumerate(accounts):
                require_pattern(
                    account,
                    r"\d{12}",
                    f"{path}.{key}[{index}]",
                    "a 12-digit AWS account id (quote it in YAML)",
                )
        both = sorted(set(self.allowed_accounts) & set(self.production_accounts))
        if both:
            raise StackConfigError(
                f"{path}.allowedAccounts: {both[0]} is also listed in {path}.productionAccounts"
            )


@dataclass(frozen=True)
class NetworkRanges:
    """The CIDRs stop-writes' write fence works from (runbook_actions/write_fence.py).

    ``applicationSubnetCidrs``: the IPv4 CIDRs of the subnets the ECS services run in. With them
    the fence goes up before the services are read, in a constant number of calls; a service
    later found in a subnet outside them is fenced too, with a warning naming this key.
    ``responderCidrs``: where responders reach the database from (Client VPN, a bastion); one
    inside an application CIDR (a VPN endpoint whose source NAT addresses sit in an application
    subnet) gets an allow below the fence's denies, one outside every application CIDR needs no
    entry. A responder CIDR that holds a whole application CIDR would reopen the fence: refused.
    """

    application_subnet_cidrs: tuple[str, ...]
    responder_cidrs: tuple[str, ...] = ()

    def validate(self, path: str) -> None:
        if not self.application_subnet_cidrs:
            raise StackConfigError(f"{path}.applicationSubnetCidrs: at least one CIDR is required")
        apps = _ipv4_networks(self.application_subnet_cidrs, f"{path}.applicationSubnetCidrs")
        responders = _ipv4_networks(self.responder_cidrs, f"{path}.responderCidrs")
        for index, responder in enumerate(responders):
            held = [str(app) for app in apps if app.subnet_of(responder)]
            if held:
                raise StackConfigError(
                    f"{path}.responderCidrs[{index}]: {responder} holds application CIDR "
                    f"{held[0]}; an allow for it would reopen the write fence (name the responders' "
                    "own addresses, e.g. the VPN endpoint's subnet)"
                )


def _ipv4_networks(values: tuple[str, ...], path: str) -> list[ipaddress.IPv4Network]:
    networks = []
    for index, value in enumerate(values):
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError:
            raise StackConfigError(
                f"{path}[{index}]: {value!r} is not an IPv4 network in CIDR form (e.g. 10.0.1.0/24, "
                "no host bits set)"
            ) from None
        if str(network) != value:
            raise StackConfigError(f"{path}[{index}]: write {value!r} as {str(network)!r}")
        networks.append(network)
    _require_unique([str(n) for n in networks], path, "CIDR")
    return networks


@dataclass(frozen=True)
class Platform:
    """Everything the guide's procedures name, for one environment."""

    environment: str
    region: str
    cluster: str
    services: tuple[Service, ...]
    aurora: AuroraCluster
    secrets: tuple[str, ...]
    notifications: Notifications
    production: bool = False
    account_id: str | None = None
    extra_tags: dict[str, str] = field(default_factory=dict)
    # Read by the Pulumi program (issue 3); optional so drills and seeds need not set them.
    cloudtrail_log_group: str | None = None
    # The trail that delivers to cloudtrailLogGroup, read at preview (the pre-flight finds it without).
    cloudtrail_trail: str | None = None
    queues: tuple[JobQueue, ...] = ()
    break_glass: BreakGlass | None = None
    backup: BackupSettings = field(default_factory=BackupSettings)
    game_day: GameDay = field(default_factory=GameDay)
    drills: DrillSafety = field(default_factory=DrillSafety)
    # The write fence's CIDRs; without them stop-writes fences after reading the services.
    network: NetworkRanges | None = None

    def validate(self, path: str) -> None:
        _check_region(self.region, f"{path}.region")
        require_pattern(
            self.cluster,
            _ECS_CLUSTER,
            f"{path}.cluster",
            "a valid ECS cluster name (up to 255 letters, digits, _ and -)",
        )
        _check_tag_text(self.environment, f"{path}.environment", "tag value", 256)
        if not re.fullmatch(_ENVIRONMENT, self.environment):
            # Beyond a tag: it names metric namespaces ("ASCII characters", CloudWatch) and is
            # written into IAM role descriptions (Latin-1 only, CreateRole Description).
            odd = next(c for c in self.environment if not re.fullmatch(_ENVIRONMENT, c))
            raise StackConfigError(
                f"{path}.environment: holds U+{ord(odd):04X}; it names CloudWatch metric namespaces "
                "and IAM role descriptions, so ASCII letters, digits, spaces and _ . : / = + - @ only"
            )
        for key, value in self.extra_tags.items():
            if not key or key.lower().startswith("aws:"):
                raise StackConfigError(
                    f"{path}.extraTags: tag key {key!r} is empty or starts with aws: (reserved for AWS)"
                )
            _check_tag_text(key, f"{path}.extraTags", "tag key", 128)
            _check_tag_text(value, f"{path}.extraTags.{key}", "tag value", 256)
        for index, secret in enumerate(self.secrets):
            require_pattern(
                secret,
                _SECRET_NAME,
                f"{path}.secrets[{index}]",
                "a Secrets Manager secret name (1-512 of A-Z a-z 0-9 / _ + = . @ -)",
            )
        arn_prefix = f"arn:{_partition(self.region)}:ssm:{self.region}:{'0' * 12}:parameter"
        if len(arn_prefix) + len(self.aurora.endpoint_parameter) > SSM_PARAMETER_MAX:
            raise StackConfigError(
                f"{path}.aurora.endpointParameter: {len(self.aurora.endpoint_parameter)} characters; "
                f"with its ARN ({arn_prefix}) it must stay within SSM's {SSM_PARAMETER_MAX}"
            )
        if self.account_id is not None:
            require_pattern(self.account_id, r"\d{12}", f"{path}.accountId", "a 12-digit account id")
        if not self.services:
            raise StackConfigError(f"{path}.services: at least one service is required")
        _require_unique([s.name for s in self.services], f"{path}.services", "service name")
        _require_unique(list(self.secrets), f"{path}.secrets", "secret id")
        if self.cloudtrail_log_group is not None:
            require_pattern(
                self.cloudtrail_log_group,
                _LOG_GROUP,
                f"{path}.cloudtrailLogGroup",
                "a valid log group name (1-512 of A-Z a-z 0-9 _ - . / #, not starting with aws/)",
            )
        if self.cloudtrail_trail is not None:
            require_pattern(
                self.cloudtrail_trail,
                _TRAIL_NAME,
                f"{path}.cloudtrailTrail",
                "a CloudTrail trail name (3-128 of A-Z a-z 0-9 . _ -, starting and ending with a "
                "letter or digit, no two of . _ - in a row)",
            )
        _require_unique([q.name for q in self.queues], f"{path}.queues", "queue name")
        self.notifications.check_duplicates(f"{path}.notifications", self.region, self.account_id)
        for index, subscription in enumerate(self.notifications.subscriptions):
            if re.fullmatch(_SECRET_ARN, subscription.integration_key_secret or ""):
                where = f"{path}.notifications.subscriptions[{index}].integrationKeySecret"
                _check_arn_place(str(subscription.integration_key_secret), self.region, where)
        if self.backup.copy_region is not None:
            _check_region(self.backup.copy_region, f"{path}.backup.copyRegion")
            if _partition(self.backup.copy_region) != _partition(self.region):
                raise StackConfigError(
                    f"{path}.backup.copyRegion: {self.backup.copy_region} is in partition "
                    f"{_partition(self.backup.copy_region)}, the platform's {self.region} in "
                    f"{_partition(self.region)}; AWS Backup copies within a partition"
                )
        if self.backup.copy_region == self.region:
            raise StackConfigError(
                f"{path}.backup.copyRegion: {self.region!r} is the platform's own region; "
                "copies must go to a second region"
            )
        if self.production and self.drills.allowed_accounts:
            raise StackConfigError(
                f"{path}.drills.allowedAccounts: a production stack "
                "(production: true) allows no drill accounts"
            )
        if self.aurora.master_secret_id not in self.secrets:
            raise StackConfigError(
                f"{path}.aurora.masterSecretId: {self.aurora.master_secret_id!r} "
                f"is not listed in {path}.secrets"
            )
        for key, arn in (
            ("kmsKeyArn", self.aurora.kms_key_arn),
            ("masterSecretKmsKeyArn", self.aurora.master_secret_kms_key_arn),
        ):
            if arn is not None:
                _check_arn_place(arn, self.region, f"{path}.aurora.{key}")
            if arn is not None and arn.split(":")[3] != self.region:
                raise StackConfigError(
                    f"{path}.aurora.{key}: the key is in {arn.split(':')[3]}, the cluster and its "
                    f"secret in {self.region}; RDS and Secrets Manager use a key of their own region"
                )
        # Last: every name the program derives from the values checked above (derived_names).
        check_derived_names(self, path)

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        known = ", ".join(s.name for s in self.services)
        raise StackConfigError(f"unknown service {name!r} (services: {known})")

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    # The break-glass roles' IAM names, derived here only: the program creates the roles under
    # these names, and the alarm catalog's break-glass page matches AssumeRole of the admin by it.
    @property
    def break_glass_admin_role(self) -> str:
        return f"{self.cluster}-break-glass-admin"

    @property
    def break_glass_investigator_role(self) -> str:
        return f"{self.cluster}-investigator"


def _same_endpoint(first: tuple[str | None, ...], second: tuple[str | None, ...]) -> bool:
    """Subscription identities that are one endpoint; an unknown account (None) matches any."""
    return len(first) == len(second) and all(
        a == b or (index == 4 and (a is None or b is None)) for index, (a, b) in enumerate(zip(first, second))
    )


def _check_region(region: str, path: str) -> None:
    require_pattern(region, _REGION, path, "an AWS region name")
    if not regions.is_region(region):
        raise StackConfigError(
            f"{path}: {region!r} is not an AWS Region (botocore's partitions list it in none)"
        )


def _require_unique(values: list[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise StackConfigError(f"{path}[{index}]: duplicate {what} {value!r}")
        seen.add(value)
