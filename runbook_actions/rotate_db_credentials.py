"""Rotate the Aurora master password and the secret that holds it (guide P0-C, first step).

The guide sets the cluster's password and then overwrites the secret; a crash between the two
leaves a password that is written down nowhere. Here the new credential is first staged in the
secret as AWSPENDING, so it is durable before the cluster changes; then the cluster's master
password is set; then AWSPENDING is promoted to AWSCURRENT (Secrets Manager moves the old
value to AWSPREVIOUS) and the AWSPENDING label is removed. A rerun that finds an AWSPENDING
version finishes that rotation with the same password instead of generating another.

With an incident id the new version's id is derived from it, so running the command again for
the same incident reports the earlier rotation instead of rotating twice (``--force`` rotates
again). Without one, every completed run is a new rotation.

``rotate_secret`` is not used: it needs a rotation Lambda, and moto leaves the secret
unreadable after it. The password is never printed, logged, returned or put in an error.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from contextlib import contextmanager
from typing import Any, Iterator, cast

from .action import Action, ActionResult, IamCondition, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import DB_CLUSTER, INCIDENT_ID
from .constants import ENV_DB_SECRET_ID
from .exceptions import AwsCallError, RefusedError, RunbookError
from .params import Param

NAME = "rotate-db-credentials"
CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
# RDS rejects / @ " and space in master passwords; ' \ ` are left out as well because they
# break shell and SQL quoting when someone has to paste the password during an incident.
EXCLUDED_CHARACTERS = "/@\" '\\`"
# Aurora MySQL accepts at most 41 characters, Aurora PostgreSQL more.
PASSWORD_LENGTH = 32
# Fixed namespace for version ids derived from an incident id (any constant UUID would do).
_VERSION_NAMESPACE = uuid.UUID("5d0b8a53-6c1e-4f57-9a53-0c9a3c1f2e64")
NEXT_STEP = "run redeploy-all so every service picks up the new password"


@dataclasses.dataclass(frozen=True)
class _Credential:
    """The secret's JSON body; its repr shows the username only."""

    username: str
    fields: dict[str, Any] = dataclasses.field(repr=False)

    @property
    def password(self) -> str:
        return cast(str, self.fields["password"])

    def with_password(self, password: str) -> "_Credential":
        return _Credential(self.username, {**self.fields, "password": password})

    def secret_string(self) -> str:
        return json.dumps(self.fields)


@dataclasses.dataclass(frozen=True)
class _SecretState:
    arn: str
    stages: dict[str, list[str]]

    def holding(self, stage: str) -> str | None:
        return next((v for v, labels in self.stages.items() if stage in labels), None)


def rotate_db_credentials(
    clients: AwsClients,
    *,
    db_cluster: str,
    secret_id: str,
    incident_id: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> ActionResult:
    sm = clients.secretsmanager
    state = _read_secret_state(sm, secret_id)
    current = _current_credential(sm, secret_id, state)
    _check_pairing(_describe_cluster(clients.rds, db_cluster), current, secret_id, db_cluster)
    incident_version = _incident_version_id(state.arn, incident_id) if incident_id else None
    plan = _plan(state, incident_version, force)
    details: dict[str, Any] = {
        "db_cluster": db_cluster,
        "secret_id": secret_id,
        "incident_id": incident_id,
        "plan": plan,
    }
    if plan == "already-rotated":
        return _already_rotated(state, incident_version, incident_id, details, dry_run)
    # Read (and check) a staged password before a dry run reports, so it shows a refusal too.
    pending = _pending_credential(sm, secret_id, state, current) if plan == "resume" else None
    if dry_run:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={**details, "would_change": True, "would": _planned_steps(plan)},
        )
    if plan == "finish":
        return _finish(sm, secret_id, state, details)
    new_version = state.holding(PENDING) if plan == "resume" else _fresh_version_id(state, incident_version)
    old_version = state.holding(CURRENT)
    # "resume" means an AWSPENDING version exists (_plan); _current_credential refused a secret
    # without an AWSCURRENT one.
    assert new_version is not None and old_version is not None
    credential = pending or _stage(sm, secret_id, current, new_version)
    _apply_and_promote(clients.rds, sm, db_cluster, secret_id, credential, current, new_version, old_version)
    return ActionResult(
        NAME,
        ok=True,
        changed=True,
        dry_run=False,
        details={
            **details,
            "previous_version_id": state.holding(CURRENT),
            "new_version_id": new_version,
            "done": _planned_steps(plan),
            "next_step": NEXT_STEP,
        },
    )


def _apply_and_promote(
    rds: Any,
    sm: Any,
    db_cluster: str,
    secret_id: str,
    credential: _Credential,
    current: _Credential,
    new_version: str,
    old_version: str,
) -> None:
    with _never_revealing(credential.password, current.password):
        _apply_to_cluster(rds, db_cluster, credential)
        _promote(sm, secret_id, new_version, old_version)
        _remove_pending_label(sm, secret_id, new_version)


def _plan(state: _SecretState, incident_version: str | None, force: bool) -> str:
    """What a run has to do, judged only from the secret's version labels."""
    pending = state.holding(PENDING)
    if pending is not None and pending == state.holding(CURRENT):
        return "finish"  # promoted, but the run stopped before removing the AWSPENDING label
    if pending is not None:
        return "resume"  # staged (and maybe applied to the cluster), never promoted
    if incident_version in state.stages and not force:
        return "already-rotated"
    return "rotate"


def _planned_steps(plan: str) -> list[str]:
    steps = [
        f"stage a generated password as {PENDING}",
        "set it as the cluster's master password (apply immediately)",
        f"promote {PENDING} to {CURRENT} (the old value becomes {PREVIOUS})",
        f"remove the {PENDING} label",
    ]
    if plan == "resume":
        return ["reuse the password already staged as AWSPENDING"] + steps[1:]
    if plan == "finish":
        return steps[3:]
    return steps


def _already_rotated(
    state: _SecretState, version: str | None, incident_id: str | None, details: dict[str, Any], dry_run: bool
) -> ActionResult:
    still_current = state.holding(CURRENT) == version
    note = f"already rotated for incident {incident_id}; NOT rotated again (pass --force to rotate again)"
    if not still_current:
        note += "; the secret has been rotated again since"
    return ActionResult(
        NAME,
        ok=True,
        changed=False,
        dry_run=dry_run,
        details={
            **details,
            "new_version_id": version,
            "still_current": still_current,
            "note": note,
            "next_step": NEXT_STEP,
        },
    )


def _finish(sm: Any, secret_id: str, state: _SecretState, details: dict[str, Any]) -> ActionResult:
    version = state.holding(CURRENT)
    assert version is not None  # "finish" means AWSPENDING and AWSCURRENT are on one version (_plan)
    _remove_pending_label(sm, secret_id, version)
    return ActionResult(
        NAME,
        ok=True,
        changed=True,
        dry_run=False,
        details={
            **details,
            "previous_version_id": state.holding(PREVIOUS),
            "new_version_id": version,
            "done": _planned_steps("finish"),
            "note": "an earlier run had already rotated the password; only its label was left",
            "next_step": NEXT_STEP,
        },
    )


def _read_secret_state(sm: Any, secret_id: str) -> _SecretState:
    with aws_call(f"describing secret {secret_id}"):
        described = sm.describe_secret(SecretId=secret_id)
    return _SecretState(arn=described["ARN"], stages=described.get("VersionIdsToStages") or {})


def _current_credential(sm: Any, secret_id: str, state: _SecretState) -> _Credential:
    version = state.holding(CURRENT)
    if version is None:
        raise RefusedError(f"secret {secret_id} has no {CURRENT} version to rotate from")
    return _read_credential(sm, secret_id, version)


def _read_credential(sm: Any, secret_id: str, version_id: str) -> _Credential:
    with aws_call(f"reading version {version_id} of secret {secret_id}"):
        text = sm.get_secret_value(SecretId=secret_id, VersionId=version_id).get("SecretString")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if not (
        isinstance(body, dict)
        and isinstance(body.get("username"), str)
        and isinstance(body.get("password"), str)
        and body["password"]
    ):
        raise RefusedError(
            f"version {version_id} of secret {secret_id} is not a JSON object with a username and a password"
        )
    return _Credential(body["username"], body)


def _pending_credential(sm: Any, secret_id: str, state: _SecretState, current: _Credential) -> _Credential:
    version = state.holding(PENDING)
    assert version is not None  # called only when _plan said "resume", which needs an AWSPENDING version
    pending = _read_credential(sm, secret_id, version)
    if pending.username != current.username:
        raise RefusedError(
            f"the {PENDING} version {version} of secret {secret_id} is for user "
            f"{pending.username!r}, not {current.username!r}; check it and remove "
            f"its {PENDING} label before rotating"
        )
    return pending


def _describe_cluster(rds: Any, db_cluster: str) -> dict[str, Any]:
    with aws_call(f"describing DB cluster {db_cluster}"):
        cluster: dict[str, Any] = rds.describe_db_clusters(DBClusterIdentifier=db_cluster)["DBClusters"][0]
        return cluster


def _check_pairing(cluster: dict[str, Any], credential: _Credential, secret_id: str, db_cluster: str) -> None:
    """Refuse to set a password the secret would not match, or on an RDS-managed password."""
    if cluster.get("MasterUserSecret"):
        raise RefusedError(
            f"{db_cluster} lets RDS manage its master password in Secrets Manager; "
            f"rotate it with modify-db-cluster --rotate-master-user-password"
        )
    master = cluster.get("MasterUsername")
    if credential.username != master:
        raise RefusedError(
            f"secret {secret_id} holds user {credential.username!r} but the master "
            f"user of {db_cluster} is {master!r}"
        )
    named = credential.fields.get("dbClusterIdentifier")
    if isinstance(named, str) and named != db_cluster:
        raise RefusedError(f"secret {secret_id} belongs to DB cluster {named!r}, not {db_cluster}")


def _incident_version_id(secret_arn: str, incident_id: str) -> str:
    return str(uuid.uuid5(_VERSION_NAMESPACE, f"{NAME}|{secret_arn}|{incident_id}"))


def _fresh_version_id(state: _SecretState, incident_version: str | None) -> str:
    # With --force the incident's id is taken already, so a forced rotation gets a random one.
    if incident_version is not None and incident_version not in state.stages:
        return incident_version
    return str(uuid.uuid4())


def _stage(sm: Any, secret_id: str, current: _Credential, version_id: str) -> _Credential:
    with aws_call("generating a new password"):
        password = sm.get_random_password(
            PasswordLength=PASSWORD_LENGTH,
            ExcludeCharacters=EXCLUDED_CHARACTERS,
            RequireEachIncludedType=True,
        )["RandomPassword"]
    staged = current.with_password(password)
    with (
        _never_revealing(password, current.password),
        aws_call(f"staging the new password in secret {secret_id} as {PENDING}"),
    ):
        sm.put_secret_value(
            SecretId=secret_id,
            ClientRequestToken=version_id,
            SecretString=staged.secret_string(),
            VersionStages=[PENDING],
        )
    return staged


def _apply_to_cluster(rds: Any, db_cluster: str, credential: _Credential) -> None:
    with aws_call(
        f"setting the master password of {db_cluster} (the new password is staged "
        f"as {PENDING}; rerun to finish)"
    ):
        rds.modify_db_cluster(
            DBClusterIdentifier=db_cluster, MasterUserPassword=credential.password, ApplyImmediately=True
        )


def _promote(sm: Any, secret_id: str, new_version: str, old_version: str) -> None:
    with aws_call(
        f"promoting version {new_version} of {secret_id} to {CURRENT} (the cluster "
        f"already uses it; rerun to finish)"
    ):
        sm.update_secret_version_stage(
            SecretId=secret_id,
            VersionStage=CURRENT,
            MoveToVersionId=new_version,
            RemoveFromVersionId=old_version,
        )


def _remove_pending_label(sm: Any, secret_id: str, version: str) -> None:
    with aws_call(f"removing the {PENDING} label from version {version} of {secret_id}"):
        sm.update_secret_version_stage(SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=version)


@contextmanager
def _never_revealing(*hidden: str) -> Iterator[None]:
    """Re-raise any error whose message contains a hidden value with that value masked."""
    try:
        yield
    except Exception as error:
        text = str(error)
        if not any(value and value in text for value in hidden):
            raise
        for value in hidden:
            if value:
                text = text.replace(value, "***")
        kind = type(error) if isinstance(error, RunbookError) else AwsCallError
        raise kind(text, getattr(error, "details", None)) from None


ACTION = Action(
    name=NAME,
    summary="Rotate the Aurora master password and its secret, crash-safe via AWSPENDING.",
    params=(
        DB_CLUSTER,
        Param(
            "secret_id",
            str,
            "secret holding the master credentials as JSON (username, password, ...)",
            required=True,
            env=ENV_DB_SECRET_ID,
            pattern=r"[A-Za-z0-9/_+=.@:\-]{1,1024}",
        ),
        dataclasses.replace(
            INCIDENT_ID, required=False, help="incident id; rotate at most once per incident"
        ),
        Param("force", bool, "rotate even if this incident's rotation is already done", default=False),
    ),
    run=rotate_db_credentials,
    iam=(
        IamGrant(("rds:DescribeDBClusters", "rds:ModifyDBCluster"), "rds-cluster"),
        IamGrant(
            (
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ),
            "secret",
        ),
        IamGrant(("secretsmanager:GetRandomPassword",), "*"),
        # A secret encrypted with a customer-managed key: Secrets Manager decrypts a version for
        # GetSecretValue and encrypts a new one for PutSecretValue, in the caller's name. Granted
        # only when the stack config names the key.
        IamGrant(
            ("kms:Decrypt", "kms:GenerateDataKey"),
            "secret-kms-key",
            IamCondition("StringEquals", "kms:ViaService", via_service="secretsmanager"),
        ),
    ),
    mutating=True,
)
