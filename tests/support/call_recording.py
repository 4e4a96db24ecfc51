"""Clients that note every AWS API call as the IAM action it needs (botocore ``before-parameter-build``,
which sees the API parameters, once per call whatever the retries).

Separate from the session's shared clients on purpose: the hook stays on these clients only,
so no other test sees it.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

from runbook_actions.clients import AwsClients

# Sending Tags with a create or restore call is authorised as rds:AddTagsToResource as well.
TAGGING_ON_CREATE = {"rds": "rds:AddTagsToResource"}
# Allowed to every principal whatever its policies (AWS: GetCallerIdentity needs no permission).
NEEDS_NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})
READ_PREFIXES = ("Describe", "List", "Get", "Filter", "Lookup")


def iam_actions(model: Any, params: dict[str, Any]) -> set[str]:
    """The IAM actions one API call needs: ``ecs DescribeServices`` -> ``ecs:DescribeServices``
    (the prefix is the signing name, so elbv2 is ``elasticloadbalancing``)."""
    prefix = model.service_model.signing_name
    needed = {f"{prefix}:{model.name}"}
    if params.get("Tags") and prefix in TAGGING_ON_CREATE:
        needed.add(TAGGING_ON_CREATE[prefix])
    return needed - NEEDS_NO_PERMISSION


def is_read(iam_action: str) -> bool:
    return is_read_operation(iam_action.split(":", 1)[1])


def is_read_operation(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


class RecordingClients(AwsClients):
    def __init__(self, region: str) -> None:
        super().__init__(region=region, session=boto3.session.Session(region_name=region))
        self.calls: set[str] = set()
        # (boto3 service name, operation) of every call, e.g. ("ecs", "UpdateService").
        self.operations: set[tuple[str, str]] = set()
        self._hooked: set[str] = set()
        self._hook_lock = threading.Lock()

    def get(self, service: str) -> Any:
        client = super().get(service)
        with self._hook_lock:
            if service not in self._hooked:
                client.meta.events.register("before-parameter-build", self._note)
                self._hooked.add(service)
        return client

    def take(self) -> set[str]:
        """The calls noted since the last take."""
        calls, self.calls, self.operations = self.calls, set(), set()
        return calls

    def _note(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls |= iam_actions(model, params)
        self.operations.add((model.service_model.service_name, model.name))
