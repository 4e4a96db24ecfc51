"""ARNs built from names the stack config fixes, so IAM documents are known at preview time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsAccount:
    """The account and region the stack deploys into, and the partition its ARNs use."""

    account_id: str
    region: str
    partition: str = "aws"

    @classmethod
    def from_caller(cls, account_id: str, caller_arn: str, region: str) -> "AwsAccount":
        # arn:<partition>:sts::<account>:assumed-role/...: the partition is the second field.
        return cls(account_id=account_id, region=region, partition=caller_arn.split(":")[1])

    def arn(self, service: str, resource: str, *, regional: bool = True, region: str | None = None) -> str:
        where = (region or self.region) if regional else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"

    @property
    def root(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def iam(self, resource: str) -> str:
        """``user/<name>``, ``role/<name>``... in this account (IAM is global)."""
        return self.arn("iam", resource, regional=False)

    def managed_policy(self, name: str) -> str:
        """An AWS-managed policy, e.g. ``AdministratorAccess``."""
        return f"arn:{self.partition}:iam::aws:policy/{name}"

    def sns_topic(self, name: str) -> str:
        return self.arn("sns", name)

    def sqs_queue(self, name: str) -> str:
        return self.arn("sqs", name)

    def log_group(self, name: str) -> tuple[str, ...]:
        # Some Logs APIs authorise the group ARN, others the ":*" (log streams) form.
        base = self.arn("logs", f"log-group:{name}")
        return (base, f"{base}:*")

    def ecs_cluster(self, cluster: str) -> str:
        return self.arn("ecs", f"cluster/{cluster}")

    def ecs_service(self, cluster: str, service: str) -> str:
        return self.arn("ecs", f"service/{cluster}/{service}")

    def rds(self, resource: str) -> str:
        """``cluster:<id>``, ``cluster-snapshot:<id>``..."""
        return self.arn("rds", resource)

    def secret(self, secret_id: str) -> str:
        # Secrets Manager appends "-" and six random characters to every secret's ARN.
        return self.arn("secretsmanager", f"secret:{secret_id}-??????")

    def ssm_parameter(self, name: str) -> str:
        return self.arn("ssm", f"parameter/{name.lstrip('/')}")

    def event_bus(self, name: str = "default", region: str | None = None) -> str:
        return self.arn("events", f"event-bus/{name}", region=region)

    def kms_keys(self) -> str:
        """Every key of this account and region; narrowed by an alias condition where used."""
        return self.arn("kms", "key/*")
