"""Deactivate a user's leaked access keys (guide P0-C: "deactivate via IAM immediately").

Keys are deactivated first and described after, so the exposure ends as early as possible; the
report then says when, where and with which service each key was last used, so the responder
sees at once whether a leaked key has been used. Only key ids are handled: secret access keys are
never read (IAM cannot return them after creation anyway).
"""

from __future__ import annotations

from typing import Any

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .exceptions import InvalidArgumentError, NotFoundError
from .fanout import fan_out
from .investigation import iso
from .params import Param

NAME = "deactivate-access-key"
ACTIVE, INACTIVE = "Active", "Inactive"
IAM_USER_NAME = r"[\w+=,.@\-]{1,64}"
NEXT_STEPS = (
    "temporary credentials already issued with these keys stay valid until they expire; "
    "check cloudtrail-lookup for the user, then create a new key for whoever needs one"
)


def deactivate_access_key(
    clients: AwsClients,
    *,
    user: str,
    access_key_id: str | None = None,
    all: bool = False,
    dry_run: bool = False,
) -> ActionResult:  # noqa: A002
    if (access_key_id is None) == (not all):
        raise InvalidArgumentError("give exactly one of --access-key-id or --all")
    keys = _chosen_keys(_list_keys(clients.iam, user), user, access_key_id)
    reports = fan_out(lambda key: _handle_key(clients.iam, key, dry_run), keys)
    changed = any(report["changed"] for report in reports)
    details: dict[str, Any] = {"user": user, "keys": reports}
    if not keys:
        details["note"] = f"user {user} has no access keys"
    elif dry_run:
        details["would_change"] = any(report["would_change"] for report in reports)
    else:
        details["next_steps"] = NEXT_STEPS
    return ActionResult(NAME, ok=True, changed=changed, dry_run=dry_run, details=details)


def _list_keys(iam: Any, user: str) -> list[dict[str, Any]]:
    with aws_call(f"listing the access keys of IAM user {user}"):
        pages = iam.get_paginator("list_access_keys").paginate(UserName=user)
        return [key for page in pages for key in page["AccessKeyMetadata"]]


def _chosen_keys(keys: list[dict[str, Any]], user: str, access_key_id: str | None) -> list[dict[str, Any]]:
    if access_key_id is None:
        return keys
    chosen = [key for key in keys if key["AccessKeyId"] == access_key_id]
    if not chosen:
        raise NotFoundError(f"access key {access_key_id} does not belong to IAM user {user}")
    return chosen


def _handle_key(iam: Any, key: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    key_id, user, before = key["AccessKeyId"], key["UserName"], key["Status"]
    needs_change = before == ACTIVE
    if needs_change and not dry_run:
        with aws_call(f"deactivating access key {key_id} of {user}"):
            iam.update_access_key(UserName=user, AccessKeyId=key_id, Status=INACTIVE)
    changed = needs_change and not dry_run
    report = {
        "access_key_id": key_id,
        "status_before": before,
        "status": INACTIVE if changed else before,
        "changed": changed,
        "created": iso(key.get("CreateDate")),
        "last_used": _last_used(iam, key_id),
    }
    if dry_run:
        report["would_change"] = needs_change
    return report


def _last_used(iam: Any, key_id: str) -> dict[str, Any]:
    with aws_call(f"reading when access key {key_id} was last used"):
        used = iam.get_access_key_last_used(AccessKeyId=key_id).get("AccessKeyLastUsed", {})
    # IAM answers "N/A" for the service and region of a key that was never used.
    return {
        "date": iso(used.get("LastUsedDate")),
        "service": _known(used.get("ServiceName")),
        "region": _known(used.get("Region")),
    }


def _known(value: str | None) -> str | None:
    return None if value in (None, "", "N/A") else value


ACTION = Action(
    name=NAME,
    summary="Deactivate an IAM user's access key (or all of them); reports each key's last use.",
    params=(
        Param("user", str, "IAM user name", required=True, pattern=IAM_USER_NAME),
        Param("access_key_id", str, "the access key id to deactivate", pattern=r"\w{16,128}"),
        Param("all", bool, "deactivate every access key of the user", default=False),
    ),
    run=deactivate_access_key,
    iam=(IamGrant(("iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetAccessKeyLastUsed"), "iam-user"),),
    mutating=True,
)
