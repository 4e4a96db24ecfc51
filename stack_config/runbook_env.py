"""The environment runbook actions read their platform names from, built from the stack config.

The Lambda functions get exactly this environment, and drills fill an action's omitted
arguments from it, so an action behaves the same in both places. List values (the write
fence's CIDRs, stack config ``network``) are comma-separated, as runbook_actions.params splits
them.
"""

from __future__ import annotations

from runbook_actions import constants

from .model import Platform


def runbook_environment(platform: Platform, incident_id: str | None = None) -> dict[str, str]:
    environment = {
        constants.ENV_CLUSTER: platform.cluster,
        constants.ENV_DB_CLUSTER: platform.aurora.cluster_id,
        constants.ENV_DB_SECRET_ID: platform.aurora.master_secret_id,
        constants.ENV_DB_ENDPOINT_PARAMETER: platform.aurora.endpoint_parameter,
        constants.ENV_AUDIT_LOG_GROUP: platform.aurora.audit_log_group,
        constants.ENV_TOPIC_PREFIX: platform.notifications.topic_prefix,
    }
    if platform.network is not None:
        environment[constants.ENV_APP_CIDRS] = ",".join(platform.network.application_subnet_cidrs)
        if platform.network.responder_cidrs:
            environment[constants.ENV_RESPONDER_CIDRS] = ",".join(platform.network.responder_cidrs)
    if incident_id:
        environment[constants.ENV_INCIDENT_ID] = incident_id
    return environment
