"""Durable per-incident records, kept as SSM parameters under the state prefix.

stop-writes records every service's desired count here *before* scaling anything to 0, and
restore-writes reads it back. The record must survive the Lambda, the laptop and the engineer
who ran stop-writes, hence SSM rather than local state; SSM also keeps every version.

A record is open (``"status": "writes-stopped"``, or no status: records written before there
was one) from stop-writes until restore-writes has seen every service back at its count; it is
then marked ``"restored"`` and kept as the incident's audit trail. While a record is open, the
zeros it explains are not anyone's original counts: a stop-writes under another incident id
takes the counts from it (``open_records``).

Records are ordered by when they were *opened*: created, or reopened by a stop-writes after
they were marked restored (a new stop of writes). A rewrite while a record is open (a rerun
adding a service, a concurrent run merging, a hand repair) does not move it: the newest opened
record is the stop that holds the services now, and no older incident's restore-writes may undo
it (``newer``). Ordering by the last write let a rerun of an older incident overtake a newer one
and restart every service while the newer incident was still open.

The time a record was opened is read from SSM's own history of the parameter
(GetParameterHistory, ``placed``): the LastModifiedDate of the version that opened it, the
first of the versions since the last one marked restored. That is the service's clock, the
same for every writer, and no writer can change it afterwards. A time kept in the record by
its writer was not chosen: two responders' laptops (or a laptop and a Lambda) disagree by
seconds to minutes, and two incidents stopped a minute apart is exactly when the order
matters. SSM keeps only the last 100 versions of a parameter, so every rewrite also copies
SSM's opening time into the record (``opened_at``, SSM's time copied, not the writer's); it is
used only when the history no longer reaches the opening version. A version 1 record needs no
history call: it opened at its LastModifiedDate.

A record also journals the write fence (write_fence): the network ACL entries stop-writes will
create, written before any of them exists, so restore-writes (and a drill's undo after a killed
run) lifts exactly them. With the application CIDRs configured, stop-writes journals the fence
*first*, before it reads the services: that write opens a new record (or reopens a restored
one) with the fence and no counts (``"desired_counts": {}``: an open record that holds no
service explains no zeros, so another incident's stop-writes reading it in between takes no
count from it; a reopened record never keeps its old counts for that reason). The counts follow
in a rewrite of the open record, which keeps its opening time like any other rewrite. A record
that holds a fence and no counts is a stop-writes stopped between the two (killed, or an AWS
error reading the services): restore-writes lifts its fence and scales nothing, a rerun of
stop-writes records the counts. Entries carry ``action`` (``deny``, or ``allow`` for a
responders' CIDR); records written before the fence have no ``fence`` field (they hold no
entries, and restore as before), entries written before the allows no ``action`` (denies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import replace as with_fields
from datetime import datetime, timezone
from typing import Any

from .aws_errors import aws_call
from .constants import DEFAULT_STATE_PREFIX, ENV_STATE_PREFIX
from .exceptions import InvalidArgumentError, RefusedError, RunbookError
from .params import Param
from .rds_helpers import iso, utc_now
from .write_fence import FenceEntry, as_json

STATE_PREFIX = Param(
    "state_prefix",
    str,
    "SSM prefix for durable per-incident records",
    default=DEFAULT_STATE_PREFIX,
    env=ENV_STATE_PREFIX,
    pattern=r"/[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*/?",
)
RECORD_VERSION = 1
STOPPED, RESTORED = "writes-stopped", "restored"
_RECORD_NAME = "desired-counts"


@dataclass(frozen=True)
class DesiredCounts:
    """One incident's record: where it is, the counts, and whether writes are back."""

    parameter: str
    incident_id: str
    counts: dict[str, int]
    updated_at: str
    restored: bool
    modified: datetime | None = None  # SSM's LastModifiedDate
    version: int | None = None  # SSM's parameter version
    opened_at: str = ""  # SSM's opening time as the record carries it (see the module's doc)
    opened: datetime | None = None  # when it was opened, by SSM's clock: set by ``placed``
    fence: tuple[FenceEntry, ...] = ()  # the write fence's entries (none in older records)

    @property
    def open(self) -> bool:
        return not self.restored

    def newer(self, other: "DesiredCounts") -> bool:
        """Opened after ``other``. Both must have been ``placed``; only where the endpoint gives
        no times at all are the records' own ``updated_at`` compared. Equal times are neither
        newer."""
        if self.opened is not None and other.opened is not None:
            return self.opened > other.opened
        return self.updated_at > other.updated_at

    def age(self) -> tuple[float, str, str]:
        """Sort key, oldest first, in the order ``newer`` judges."""
        return (self.opened.timestamp() if self.opened else 0.0, self.updated_at, self.incident_id)

    def holds(self, services: Any) -> list[str]:
        """Which of ``services`` this record would bring back above 0."""
        return sorted(name for name in services if self.counts.get(name, 0) > 0)


def snapshot(records: list[DesiredCounts]) -> set[tuple[str, int | None, str]]:
    """What identifies a set of records' state: a write to any of them changes it."""
    return {(r.parameter, r.version, r.updated_at) for r in records}


def merge_fence(stored: tuple[FenceEntry, ...], ours: tuple[FenceEntry, ...]) -> tuple[FenceEntry, ...]:
    """Both plans' entries; where both name one ACL rule, the stored one (it may exist already)."""
    taken = {entry.key for entry in stored}
    return tuple(sorted({*stored, *(entry for entry in ours if entry.key not in taken)}))


def desired_counts_parameter(prefix: str, cluster: str, incident_id: str) -> str:
    """``/incident-guardrails/<cluster>/incidents/<incident-id>/desired-counts``."""
    return record_parameter(prefix, cluster, incident_id, _RECORD_NAME)


# SSM's limits on a parameter name ("Requirements and constraints for parameter names", and
# PutParameter's Name): at most 15 levels of hierarchy, and at most 1011 characters counting the
# ARN before the name (arn:aws:ssm:us-east-2:111122223333:parameter/Name counts 65, not 5).
# moto enforces neither, AWS refuses both. Levels are counted as every segment of the name,
# the last one too: the user guide calls /Dev/DBServer/MySQL/db-string13 three levels, so this
# is one level stricter at most, never looser. The ARN is counted at its longest (partition
# aws-us-gov, a 20-character region), since the name must fit in every account and region.
SSM_MAX_LEVELS = 15
SSM_MAX_NAME_WITH_ARN = 1011
_LONGEST_ARN_BEFORE_NAME = len("arn:aws-us-gov:ssm:") + 20 + len(":123456789012:parameter")
SSM_MAX_NAME = SSM_MAX_NAME_WITH_ARN - _LONGEST_ARN_BEFORE_NAME
_RECORD_LEVELS = 4  # <cluster>/incidents/<incident-id>/<record> under the prefix


def record_parameter(prefix: str, cluster: str, incident_id: str, record: str) -> str:
    """``<prefix>/<cluster>/incidents/<incident-id>/<record>``, checked against SSM's name
    limits before any record is read or written: a prefix too deep or too long is refused up
    front (InvalidArgumentError, naming ``--state-prefix``), not at the first PutParameter after
    the services were already looked at."""
    name = f"{_incidents_path(prefix, cluster)}/{incident_id}/{record}"
    prefix_levels = [part for part in prefix.split("/") if part]
    if prefix_levels and prefix_levels[0].lower().startswith(("aws", "ssm")):
        raise InvalidArgumentError(
            f"--state-prefix: {prefix} starts with {prefix_levels[0]!r}; "
            "SSM reserves names beginning with aws or ssm"
        )
    levels = len([part for part in name.split("/") if part])
    if levels > SSM_MAX_LEVELS:
        raise InvalidArgumentError(
            f"--state-prefix: {prefix} has {len(prefix_levels)} levels, so the record {name} "
            f"would have {levels}; SSM allows at most {SSM_MAX_LEVELS} levels in a parameter name, "
            f"which leaves the prefix at most {SSM_MAX_LEVELS - _RECORD_LEVELS}"
        )
    if len(name) > SSM_MAX_NAME:
        raise InvalidArgumentError(
            f"--state-prefix: the record name would be {len(name)} characters long "
            f"({prefix[:40]}.../{cluster}/incidents/{incident_id}/{record}); SSM allows "
            f"{SSM_MAX_NAME_WITH_ARN} counting the parameter's ARN, at most {SSM_MAX_NAME} for the "
            f"name here: shorten the prefix by {len(name) - SSM_MAX_NAME} or more"
        )
    return name


def _incidents_path(prefix: str, cluster: str) -> str:
    return f"{prefix.rstrip('/')}/{cluster}/incidents"


def read_desired_counts(ssm: Any, parameter: str) -> dict[str, int] | None:
    """The recorded desired count of each service, or None when nothing was recorded."""
    record = read_record(ssm, parameter)
    return None if record is None else record.counts


def read_record(ssm: Any, parameter: str) -> DesiredCounts | None:
    """The whole record, or None when nothing was recorded."""
    return read_record_value(ssm, parameter)[1]


def read_record_value(ssm: Any, parameter: str) -> tuple[str | None, DesiredCounts | None]:
    """The record's stored text (to put back exactly, ``put_back``) and the record; both None
    when nothing was recorded."""
    with aws_call(f"reading desired-count record {parameter}"):
        try:
            found = ssm.get_parameter(Name=parameter)["Parameter"]
        except ssm.exceptions.ParameterNotFound:
            return None, None
    return found["Value"], _parse(parameter, found["Value"], found)


def put_back(ssm: Any, parameter: str, value: str | None) -> None:
    """Return the record to ``value`` as ``read_record_value`` read it: deleted when there was
    none. Only for a run that undoes its own write (stop-writes refusing after its fence)."""
    if value is not None:
        _overwrite(ssm, parameter, value)
        return
    with aws_call(f"deleting desired-count record {parameter}"):
        try:
            ssm.delete_parameter(Name=parameter)
        except ssm.exceptions.ParameterNotFound:
            pass


def open_records(ssm: Any, prefix: str, cluster: str, but: str) -> tuple[list[DesiredCounts], list[str]]:
    """The open records of the cluster's other incidents (every record but ``but``), and a
    warning for each record that cannot be read (it is left out, not guessed at)."""
    records: list[DesiredCounts] = []
    warnings: list[str] = []
    path = _incidents_path(prefix, cluster)
    with aws_call(f"listing the incident records under {path}"):
        pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True)
        parameters = [p for page in pages for p in page["Parameters"]]
    for parameter in parameters:
        name = parameter["Name"]
        if name == but or not name.endswith(f"/{_RECORD_NAME}"):
            continue
        try:
            record = _parse(name, parameter["Value"], parameter)
        except RefusedError as error:
            warnings.append(f"{error}; it was not consulted")
            continue
        if record.open:
            records.append(record)
    return records, warnings


def placed(
    ssm: Any, records: list[DesiredCounts], *, strict: bool = True
) -> tuple[list[DesiredCounts], list[str]]:
    """``records`` with ``opened`` set: when each was opened, by SSM's clock (module doc).

    ``strict=False`` (stop-writes, which must not wait): a history that cannot be read leaves
    the record at the opening time it carries, else its last write, with a warning. Strict
    (restore-writes, where the order decides what may restart): the error stops the run.
    """
    out: list[DesiredCounts] = []
    warnings: list[str] = []
    for record in records:
        try:
            opened = _opened(ssm, record)
        except RunbookError as error:
            if strict:
                raise
            opened = _time(record.opened_at) or record.modified
            warnings.append(
                f"{error}; incident {record.incident_id} is ordered by "
                + (
                    "the opening time its record carries"
                    if _time(record.opened_at)
                    else "its record's last write"
                )
            )
        out.append(with_fields(record, opened=opened))
    return out, warnings


def _opened(ssm: Any, record: DesiredCounts) -> datetime | None:
    if record.version == 1 and record.modified is not None:
        return record.modified  # created by this write: its own time is the opening
    with aws_call(
        f"reading the history of desired-count record {record.parameter} (to tell "
        "which incident stopped writes first; needs ssm:GetParameterHistory)"
    ):
        pages = ssm.get_paginator("get_parameter_history").paginate(Name=record.parameter)
        versions = sorted(
            (
                v
                for page in pages
                for v in page["Parameters"]
                if record.version is None or v.get("Version", 0) <= record.version
            ),
            key=lambda v: v.get("Version", 0),
        )
    opening = None
    for version in reversed(versions):  # back from this version to the last one restored
        if _status(version.get("Value", "")) == RESTORED:
            break
        opening = version
    else:
        if versions and versions[0].get("Version") != 1 and _time(record.opened_at):
            return _time(record.opened_at)  # SSM no longer keeps the opening version
    if opening is None:  # this version marked it restored: it is not open
        return record.modified
    found = opening.get("LastModifiedDate")
    return found if isinstance(found, datetime) else record.modified


def _status(value: str) -> str:
    try:
        data = json.loads(value)
    except ValueError:
        return STOPPED  # a damaged old version: nothing says writes were restored there
    status = data.get("status", STOPPED) if isinstance(data, dict) else STOPPED
    return status if isinstance(status, str) else STOPPED


def _time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _opened_text(moment: datetime | None) -> str:
    return (
        ""
        if moment is None
        else moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


def save_desired_counts(
    ssm: Any,
    parameter: str,
    *,
    cluster: str,
    incident_id: str,
    counts: dict[str, int],
    replace: bool,
    opened: datetime | None = None,
    fence: tuple[FenceEntry, ...] = (),
) -> dict[str, int]:
    """Write the record and return the counts now stored (``save_record``)."""
    return save_record(
        ssm,
        parameter,
        cluster=cluster,
        incident_id=incident_id,
        counts=counts,
        replace=replace,
        opened=opened,
        fence=fence,
    )[0]


def save_record(
    ssm: Any,
    parameter: str,
    *,
    cluster: str,
    incident_id: str,
    counts: dict[str, int],
    replace: bool,
    opened: datetime | None = None,
    fence: tuple[FenceEntry, ...] = (),
) -> tuple[dict[str, int], tuple[FenceEntry, ...]]:
    """Write the record and return the counts and the fence now stored.

    With ``replace=False`` the write only creates: if another run recorded first (two engineers
    running stop-writes at once), its record wins and ours only adds the services it lacks, so
    counts read after the other run had already scaled to 0 never overwrite the real ones.
    ``opened``: when the open record being rewritten was opened (``placed``), kept in it; None
    when this write opens the record (a creation, or a reopening after a restore). ``fence``:
    the write fence's plan; a concurrent run's stored plan is kept beside it (``merge_fence``),
    winning every rule number both name: only the entries of the fence returned may be created.
    """
    if not replace and _create(ssm, parameter, _record(cluster, incident_id, counts, fence=fence)):
        return dict(counts), fence
    if not replace:
        stored = read_record(ssm, parameter)
        if stored is not None:
            counts = {**counts, **stored.counts}
            if stored.open:
                opened = placed(ssm, [stored], strict=False)[0][0].opened
                fence = merge_fence(stored.fence, fence)
    _overwrite(
        ssm,
        parameter,
        _record(cluster, incident_id, counts, opened_at=_opened_text(opened), fence=fence),
    )
    return dict(counts), fence


def mark_restored(ssm: Any, record: DesiredCounts, *, cluster: str) -> None:
    """Close the record: writes are back. It is kept, as the incident's audit trail."""
    _overwrite(
        ssm,
        record.parameter,
        _record(
            cluster,
            record.incident_id,
            record.counts,
            status=RESTORED,
            opened_at=_opened_text(record.opened) or record.opened_at,
            fence=record.fence,  # lifted by then; kept as the audit trail
        ),
    )


def _record(
    cluster: str,
    incident_id: str,
    counts: dict[str, int],
    status: str = STOPPED,
    opened_at: str = "",
    fence: tuple[FenceEntry, ...] = (),
) -> str:
    return json.dumps(
        {
            "version": RECORD_VERSION,
            "cluster": cluster,
            "incident_id": incident_id,
            "status": status,
            "updated_at": iso(utc_now()),
            **({"opened_at": opened_at} if opened_at else {}),
            "desired_counts": dict(sorted(counts.items())),
            **({"fence": as_json(fence)} if fence else {}),
        },
        separators=(",", ":"),
    )


def _create(ssm: Any, parameter: str, value: str) -> bool:
    with aws_call(f"recording desired counts in {parameter}"):
        try:
            # Intelligent-Tiering moves to the advanced tier by itself past 4 KB (many services).
            ssm.put_parameter(
                Name=parameter,
                Value=value,
                Type="String",
                Overwrite=False,
                Tier="Intelligent-Tiering",
                Description="desired counts before stop-writes (incident-guardrails)",
            )
        except ssm.exceptions.ParameterAlreadyExists:
            return False
    return True


def _overwrite(ssm: Any, parameter: str, value: str) -> None:
    with aws_call(f"updating desired-count record {parameter}"):
        ssm.put_parameter(
            Name=parameter, Value=value, Type="String", Overwrite=True, Tier="Intelligent-Tiering"
        )


def _parse(parameter: str, value: str, found: dict[str, Any] | None = None) -> DesiredCounts:
    # A damaged record must stop the run: treating it as empty would let stop-writes record
    # zeros over it, and restore-writes would then bring nothing back.
    try:
        data = json.loads(value)
        counts = data["desired_counts"]
        if not isinstance(counts, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in counts.items()
        ):
            raise ValueError
        status = data.get("status", STOPPED)
        if status not in (STOPPED, RESTORED):
            raise ValueError
        fence = tuple(FenceEntry.from_json(entry) for entry in data.get("fence", []))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RefusedError(
            f"desired-count record {parameter} is not valid; inspect its SSM "
            "history and repair it before stopping or restoring writes"
        ) from None
    modified = (found or {}).get("LastModifiedDate")
    opened_at = data.get("opened_at")
    return DesiredCounts(
        parameter=parameter,
        incident_id=parameter.split("/")[-2],
        counts=counts,
        updated_at=str(data.get("updated_at") or ""),
        restored=status == RESTORED,
        modified=modified if isinstance(modified, datetime) else None,
        version=(found or {}).get("Version"),
        opened_at=opened_at if isinstance(opened_at, str) else "",
        fence=fence,
    )
