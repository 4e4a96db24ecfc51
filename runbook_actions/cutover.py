"""Point the platform at the restored Aurora cluster, then redeploy every service (P0-B, last step).

The services read the database endpoint from one SSM parameter at start-up (stack config
``aurora.endpointParameter``). Cutover writes the restored cluster's endpoint there (the old
value stays in the result and in the parameter's SSM history, for going back) and forces a
new deployment of every service, in parallel, so new tasks read the new endpoint.

Refused unless the restored cluster is ``available`` and has a writer instance: pointing the
platform at a cluster that accepts no connections would turn data loss into an outage.

Idempotent: when the parameter already holds the endpoint it is not rewritten, and only the
services whose current deployment started before the parameter last changed are redeployed;
so a rerun after a partial failure finishes the job, and a rerun after success changes nothing.
``--force`` redeploys every service anyway. Services scaled to 0 by stop-writes are redeployed
too (harmless); they read the new endpoint when restore-writes brings them back.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, cast

from .action import Action, ActionResult, IamCondition, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import CLUSTER, DB_CLUSTER
from .constants import ENV_DB_ENDPOINT_PARAMETER
from .ecs_helpers import describe_services, list_service_names
from .exceptions import NotFoundError, RefusedError
from .fanout import paced
from .fleet import force_new_deployments, primary_deployment
from .params import Param
from .rds_helpers import describe_db_cluster, iso, writer_instance_id

NAME = "cutover"


def cutover(
    clients: AwsClients,
    *,
    cluster: str,
    db_cluster: str,
    endpoint_parameter: str,
    force: bool = False,
    dry_run: bool = False,
) -> ActionResult:
    ecs, ssm = paced(clients.ecs), clients.ssm  # the process's ECS buckets
    services = describe_services(ecs, cluster, list_service_names(ecs, cluster))
    endpoint = _usable_endpoint(describe_db_cluster(clients.rds, db_cluster))
    parameter = _read_parameter(ssm, endpoint_parameter)
    rewrite = parameter["Value"] != endpoint
    changed_at = None if rewrite else parameter["LastModifiedDate"]
    to_redeploy = [s["serviceName"] for s in services if force or _started_before(s, changed_at)]
    details: dict[str, Any] = {
        "cluster": cluster,
        "db_cluster": db_cluster,
        "endpoint_parameter": endpoint_parameter,
        "endpoint": endpoint,
        "previous_endpoint": parameter["Value"],
        "previous_version": parameter["Version"],
        "previous_modified_at": iso(parameter.get("LastModifiedDate")),
        "up_to_date": sorted(s["serviceName"] for s in services if s["serviceName"] not in to_redeploy),
        "at_zero_desired": sorted(s["serviceName"] for s in services if s["desiredCount"] == 0),
    }
    if dry_run:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={
                **details,
                "would_rewrite_parameter": rewrite,
                "would_redeploy": sorted(to_redeploy),
                "would_change": rewrite or bool(to_redeploy),
            },
        )
    details["parameter_rewritten"] = rewrite
    if rewrite:
        details["version"] = _write_endpoint(ssm, parameter, endpoint)
    redeployed, failed = force_new_deployments(ecs, cluster, to_redeploy)
    details.update(redeployed=redeployed, failed=failed)
    if failed:
        details["note"] = (
            "the parameter holds the new endpoint but some services were not "
            "redeployed; rerun the same command to redeploy just those"
        )
    return ActionResult(
        NAME, ok=not failed, changed=rewrite or bool(redeployed), dry_run=False, details=details
    )


def _usable_endpoint(restored: dict[str, Any]) -> str:
    name = restored["DBClusterIdentifier"]
    if restored.get("Status") != "available":
        raise RefusedError(
            f"cluster {name} is {restored.get('Status')!r}, not available; wait for restore-cluster to finish"
        )
    if writer_instance_id(restored) is None:
        raise RefusedError(
            f"cluster {name} has no writer instance, so it accepts no "
            "connections; add one (restore-cluster --instance-class) first"
        )
    if not restored.get("Endpoint"):
        raise RefusedError(f"cluster {name} reports no endpoint")
    return cast(str, restored["Endpoint"])


def _read_parameter(ssm: Any, name: str) -> dict[str, Any]:
    with aws_call(f"reading endpoint parameter {name}"):
        try:
            parameter = ssm.get_parameter(Name=name)["Parameter"]
        except ssm.exceptions.ParameterNotFound:
            raise NotFoundError(
                f"endpoint parameter {name} does not exist; check "
                "aurora.endpointParameter in the stack config"
            ) from None
    if parameter.get("Type") != "String":
        # Comparing or keeping a SecureString would mean decrypting it into the result.
        raise RefusedError(
            f"endpoint parameter {name} is a {parameter.get('Type')}, not a plain String; update it by hand"
        )
    return cast(dict[str, Any], parameter)


def _started_before(service: dict[str, Any], moment: datetime | None) -> bool:
    """Was the service's current deployment started before ``moment`` (None: always)?"""
    created = (primary_deployment(service) or {}).get("createdAt")
    return moment is None or created is None or created < moment


def _write_endpoint(ssm: Any, parameter: dict[str, Any], endpoint: str) -> int:
    with aws_call(f"writing the new endpoint into {parameter['Name']}"):
        version: int = ssm.put_parameter(
            Name=parameter["Name"], Value=endpoint, Type=parameter["Type"], Overwrite=True
        )["Version"]
        return version


ACTION = Action(
    name=NAME,
    summary="Write the restored cluster's endpoint into the services' SSM parameter, then "
    "redeploy every service in parallel.",
    # No environment default: ZELLY_DB_CLUSTER names the production cluster, never the restored one.
    params=(
        CLUSTER,
        dataclasses.replace(DB_CLUSTER, env=None, help="the RESTORED Aurora cluster to cut over to"),
        Param(
            "endpoint_parameter",
            str,
            "SSM parameter the services read the endpoint from (stack config aurora.endpointParameter)",
            required=True,
            env=ENV_DB_ENDPOINT_PARAMETER,
            pattern=r"/[A-Za-z0-9_.\-/]{1,1010}",
        ),
        Param("force", bool, "redeploy every service even if already on the new endpoint", default=False),
    ),
    run=cutover,
    iam=(
        # ListServices has no resource type: AWS authorises it against "*", scoped by ecs:cluster.
        IamGrant(("ecs:ListServices",), "*", IamCondition("ArnEquals", "ecs:cluster", kind="ecs-cluster")),
        IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-cluster-services"),
        IamGrant(("rds:DescribeDBClusters",), "rds-cluster"),
        IamGrant(("ssm:GetParameter", "ssm:PutParameter"), "ssm-endpoint-parameter"),
    ),
    mutating=True,
)
