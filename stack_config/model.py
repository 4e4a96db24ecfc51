"""The typed description of the platform the incident guide protects.

One instance is built from a stack's config (``Pulumi.<stack>.yaml``) and read by the Pulumi
program, the drills and the seeding code alike, so the platform's names live in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .exceptions import StackConfigError
from .schedule_expression import check_schedule_expression
from .typed_mapping import require_pattern

SEVERITIES = ("P0", "P1", "P2", "P3")
PAGING_SEVERITIES = ("P0", "P1", "P2")
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,254}"
_REGION = r"[a-z]{2}(-gov)?-[a-z]+-\d"
_PRINCIPAL = (r"(arn:aws[a-z\-]*:iam::\d{12}:(user|role)/[A-Za-z0-9+=,.@_\-/]{1,512})"
              r"|((user|role)/[A-Za-z0-9+=,.@_\-/]{1,512})")
VAULT_LOCK_MODES = ("off", "governance", "compliance")


@dataclass(frozen=True)
class Service:
    """One ECS service, its log group and (for web services) its load-balancer target group."""

    name: str
    log_group: str
    desired_count: int
    target_group: str | None = None
    container_port: int = 8080

    def validate(self, path: str) -> None:
        require_pattern(self.name, r"[A-Za-z0-9][A-Za-z0-9_\-]{0,254}", f"{path}.name",
                        "a valid ECS service name")
        require_pattern(self.log_group, r"[A-Za-z0-9_.\-/#]{1,512}", f"{path}.logGroup",
                        "a valid log group name")
        if self.target_group is not None:
            require_pattern(self.target_group, r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,30}[A-Za-z0-9])?",
                            f"{path}.targetGroup", "a valid target group name (1-32 chars)")
        if not 0 <= self.desired_count <= 1000:
            raise StackConfigError(f"{path}.desiredCount: {self.desired_count} is outside 0..1000")
        if not 1 <= self.container_port <= 65535:
            raise StackConfigError(f"{path}.containerPort: {self.container_port} is not a port")


@dataclass(frozen=True)
class AuroraCluster:
    """The Aurora MySQL cluster, the secret holding its master credentials and its audit log."""

    cluster_id: str
    master_secret_id: str
    audit_log_group: str
    endpoint_parameter: str
    engine: str = "aurora-mysql"
    master_username: str = "admin"
    backup_retention_days: int = 7

    def validate(self, path: str) -> None:
        require_pattern(self.cluster_id, r"[a-zA-Z][a-zA-Z0-9\-]{0,62}", f"{path}.clusterId",
                        "a valid DB cluster identifier")
        require_pattern(self.endpoint_parameter, r"/[A-Za-z0-9_.\-/]{1,1010}",
                        f"{path}.endpointParameter", "an SSM parameter name starting with '/'")
        if not 1 <= self.backup_retention_days <= 35:
            raise StackConfigError(
                f"{path}.backupRetentionDays: {self.backup_retention_days} is outside 1..35"
            )


@dataclass(frozen=True)
class Subscription:
    """Who is paged for a severity: an email address or an HTTPS webhook."""

    severity: str
    protocol: str
    endpoint: str

    def validate(self, path: str) -> None:
        if self.severity not in PAGING_SEVERITIES:
            raise StackConfigError(
                f"{path}.severity: {self.severity!r} is not one of {', '.join(PAGING_SEVERITIES)}"
            )
        if self.protocol not in ("email", "https"):
            raise StackConfigError(f"{path}.protocol: {self.protocol!r} is not email or https")


@dataclass(frozen=True)
class Notifications:
    """Topic names per paging severity, the P3 queue, and their subscriptions."""

    topic_prefix: str
    subscriptions: tuple[Subscription, ...] = ()

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
        for key, principals in (("adminPrincipals", self.admin_principals),
                                ("investigatorPrincipals", self.investigator_principals)):
            for index, principal in enumerate(principals):
                require_pattern(principal, _PRINCIPAL, f"{path}.{key}[{index}]",
                                "an IAM user/role ARN or user/<name> or role/<name>")
        # 900 s is STS's floor; the guide's break-glass sessions last at most one hour.
        if not 900 <= self.max_session_seconds <= 3600:
            raise StackConfigError(
                f"{path}.maxSessionSeconds: {self.max_session_seconds} is outside 900..3600")

    @property
    def investigators(self) -> tuple[str, ...]:
        return self.investigator_principals or self.admin_principals


@dataclass(frozen=True)
class BackupSettings:
    """AWS Backup of the Aurora cluster. Point-in-time restore keeps ``aurora.backupRetentionDays``.

    ``vaultLock``: ``off``; ``governance`` (privileged IAM users can still remove the lock); or
    ``compliance`` (after ``vaultLockGraceDays`` nobody, not even root, can shorten retention or
    delete the vault before its backups expire: irreversible by design).
    """

    copy_region: str | None = None
    snapshot_retention_days: int = 35
    copy_retention_days: int = 35
    snapshot_schedule: str = "cron(0 20 * * ? *)"
    vault_lock: str = "off"
    vault_lock_grace_days: int = 3

    def validate(self, path: str) -> None:
        if self.copy_region is not None:
            require_pattern(self.copy_region, _REGION, f"{path}.copyRegion", "an AWS region name")
        for key, days in (("snapshotRetentionDays", self.snapshot_retention_days),
                          ("copyRetentionDays", self.copy_retention_days)):
            if not 1 <= days <= 36500:
                raise StackConfigError(f"{path}.{key}: {days} is outside 1..36500")
        require_pattern(self.snapshot_schedule, r"cron\(.+\)", f"{path}.snapshotSchedule",
                        "a cron(...) schedule expression")
        if self.vault_lock not in VAULT_LOCK_MODES:
            raise StackConfigError(
                f"{path}.vaultLock: {self.vault_lock!r} is not one of {', '.join(VAULT_LOCK_MODES)}")
        if not 3 <= self.vault_lock_grace_days <= 36500:
            raise StackConfigError(
                f"{path}.vaultLockGraceDays: {self.vault_lock_grace_days} is below AWS's minimum of 3")


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
        require_pattern(self.scenario, r"all|[a-z0-9][a-z0-9\-]{0,62}", f"{path}.scenario",
                        "'all' or a scenario id such as p0-a")


@dataclass(frozen=True)
class DrillSafety:
    """Which real AWS accounts drills may inject faults into (``--target aws``).

    Empty by default: no account is drilled until someone lists it here. ``productionAccounts``
    are never drilled, whichever stack names them.
    """

    allowed_accounts: tuple[str, ...] = ()
    production_accounts: tuple[str, ...] = ()

    def validate(self, path: str) -> None:
        for key, accounts in (("allowedAccounts", self.allowed_accounts),
                              ("productionAccounts", self.production_accounts)):
            for index, account in enumerate(accounts):
                require_pattern(account, r"\d{12}", f"{path}.{key}[{index}]",
                                "a 12-digit AWS account id (quote it in YAML)")
        both = sorted(set(self.allowed_accounts) & set(self.production_accounts))
        if both:
            raise StackConfigError(f"{path}.allowedAccounts: {both[0]} is also listed in "
                                   f"{path}.productionAccounts")


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
    queues: tuple[JobQueue, ...] = ()
    break_glass: BreakGlass | None = None
    backup: BackupSettings = field(default_factory=BackupSettings)
    game_day: GameDay = field(default_factory=GameDay)
    drills: DrillSafety = field(default_factory=DrillSafety)

    def validate(self, path: str) -> None:
        require_pattern(self.region, _REGION, f"{path}.region", "an AWS region name")
        require_pattern(self.cluster, r"[A-Za-z0-9_\-]{1,255}", f"{path}.cluster",
                        "a valid ECS cluster name")
        if self.account_id is not None:
            require_pattern(self.account_id, r"\d{12}", f"{path}.accountId", "a 12-digit account id")
        if not self.services:
            raise StackConfigError(f"{path}.services: at least one service is required")
        _require_unique([s.name for s in self.services], f"{path}.services", "service name")
        _require_unique(list(self.secrets), f"{path}.secrets", "secret id")
        if self.cloudtrail_log_group is not None:
            require_pattern(self.cloudtrail_log_group, r"[A-Za-z0-9_.\-/#]{1,512}",
                            f"{path}.cloudtrailLogGroup", "a valid log group name")
        _require_unique([q.name for q in self.queues], f"{path}.queues", "queue name")
        if self.backup.copy_region == self.region:
            raise StackConfigError(
                f"{path}.backup.copyRegion: {self.region!r} is the platform's own region; "
                "copies must go to a second region")
        if self.production and self.drills.allowed_accounts:
            raise StackConfigError(f"{path}.drills.allowedAccounts: a production stack "
                                   "(production: true) allows no drill accounts")
        if self.aurora.master_secret_id not in self.secrets:
            raise StackConfigError(
                f"{path}.aurora.masterSecretId: {self.aurora.master_secret_id!r} "
                f"is not listed in {path}.secrets"
            )

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        known = ", ".join(s.name for s in self.services)
        raise StackConfigError(f"unknown service {name!r} (services: {known})")

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)


def _require_unique(values: list[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise StackConfigError(f"{path}[{index}]: duplicate {what} {value!r}")
        seen.add(value)
