"""Durable per-incident records, kept as SSM parameters under the state prefix.

stop-writes records every service's desired count here *before* scaling anything to 0, and
restore-writes reads it back. The record must survive the Lambda, the laptop and the engineer
who ran stop-writes, hence SSM rather than local state; SSM also keeps every version.
"""
from __future__ import annotations

import json
from typing import Any

from .aws_errors import aws_call
from .constants import DEFAULT_STATE_PREFIX, ENV_STATE_PREFIX
from .exceptions import RefusedError
from .params import Param
from .rds_helpers import iso, utc_now

STATE_PREFIX = Param("state_prefix", str, "SSM prefix for durable per-incident records",
                     default=DEFAULT_STATE_PREFIX, env=ENV_STATE_PREFIX,
                     pattern=r"/[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*/?")
RECORD_VERSION = 1


def desired_counts_parameter(prefix: str, cluster: str, incident_id: str) -> str:
    """``/incident-guardrails/<cluster>/incidents/<incident-id>/desired-counts``."""
    return f"{prefix.rstrip('/')}/{cluster}/incidents/{incident_id}/desired-counts"


def read_desired_counts(ssm: Any, parameter: str) -> dict[str, int] | None:
    """The recorded desired count of each service, or None when nothing was recorded."""
    with aws_call(f"reading desired-count record {parameter}"):
        try:
            value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return None
    return _parse_counts(parameter, value)


def save_desired_counts(ssm: Any, parameter: str, *, cluster: str, incident_id: str,
                        counts: dict[str, int], replace: bool) -> dict[str, int]:
    """Write the record and return the counts now stored.

    With ``replace=False`` the write only creates: if another run recorded first (two engineers
    running stop-writes at once), its record wins and ours only adds the services it lacks, so
    counts read after the other run had already scaled to 0 never overwrite the real ones.
    """
    if not replace and _create(ssm, parameter, _record(cluster, incident_id, counts)):
        return dict(counts)
    if not replace:
        stored = read_desired_counts(ssm, parameter) or {}
        counts = {**counts, **stored}
    _overwrite(ssm, parameter, _record(cluster, incident_id, counts))
    return dict(counts)


def _record(cluster: str, incident_id: str, counts: dict[str, int]) -> str:
    return json.dumps({"version": RECORD_VERSION, "cluster": cluster, "incident_id": incident_id,
                       "updated_at": iso(utc_now()), "desired_counts": dict(sorted(counts.items()))},
                      separators=(",", ":"))


def _create(ssm: Any, parameter: str, value: str) -> bool:
    with aws_call(f"recording desired counts in {parameter}"):
        try:
            # Intelligent-Tiering moves to the advanced tier by itself past 4 KB (many services).
            ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=False,
                              Tier="Intelligent-Tiering",
                              Description="desired counts before stop-writes (incident-guardrails)")
        except ssm.exceptions.ParameterAlreadyExists:
            return False
    return True


def _overwrite(ssm: Any, parameter: str, value: str) -> None:
    with aws_call(f"updating desired-count record {parameter}"):
        ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=True,
                          Tier="Intelligent-Tiering")


def _parse_counts(parameter: str, value: str) -> dict[str, int]:
    # A damaged record must stop the run: treating it as empty would let stop-writes record
    # zeros over it, and restore-writes would then bring nothing back.
    try:
        counts = json.loads(value)["desired_counts"]
        if not isinstance(counts, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
                for k, v in counts.items()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise RefusedError(f"desired-count record {parameter} is not valid; inspect its SSM "
                           "history and repair it before stopping or restoring writes") from None
    return counts
