"""Everything a running drill step may use: the platform, clients, target and run variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runbook_actions import AwsClients
from stack_config import Platform
from stack_config.runbook_env import runbook_environment
from targets.target import Target

from .redaction import Redactor


@dataclass
class DrillContext:
    platform: Platform
    clients: AwsClients
    target: Target
    stack: str
    run_id: str
    incident_id: str
    variables: dict[str, Any] = field(default_factory=dict)
    # Scratch space for probes, e.g. the steady state captured before the fault.
    memory: dict[str, Any] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    # The run's journal, for probes that check the order of what was done.
    journal: Any = None

    def __post_init__(self) -> None:
        aurora = self.platform.aurora
        self.variables = {
            "cluster": self.platform.cluster,
            "region": self.platform.region,
            "stack": self.stack,
            "environment": self.platform.environment,
            "db_cluster": aurora.cluster_id,
            "db_secret_id": aurora.master_secret_id,
            "endpoint_parameter": aurora.endpoint_parameter,
            "audit_log_group": aurora.audit_log_group,
            "incident_id": self.incident_id,
            "run_id": self.run_id,
            "service_count": len(self.platform.services),
            **self.variables,
        }

    def action_environment(self) -> dict[str, str]:
        """What a runbook Lambda of this stack has in its environment."""
        return runbook_environment(self.platform, self.incident_id)

    def for_each(self, kind: str) -> list[dict[str, Any]]:
        if kind == "service":
            return [
                {
                    "service": s.name,
                    "service_desired_count": s.desired_count,
                    "service_log_group": s.log_group,
                    "service_target_group": s.target_group,
                }
                for s in self.platform.services
            ]
        raise ValueError(f"unknown for_each {kind!r}")
