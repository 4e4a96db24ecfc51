"""Parameters that several actions share, declared once."""

from .constants import ENV_CLUSTER, ENV_DB_CLUSTER, ENV_INCIDENT_ID
from .params import Param

ECS_NAME = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,254}"

CLUSTER = Param("cluster", str, "ECS cluster name", required=True, env=ENV_CLUSTER, pattern=ECS_NAME)
SERVICE = Param("service", str, "ECS service name", required=True, pattern=ECS_NAME)
SERVICES = Param(
    "services",
    str,
    "limit to these services (default: every service of the cluster)",
    multiple=True,
    pattern=ECS_NAME,
)

DB_CLUSTER_ID = r"[a-zA-Z][a-zA-Z0-9\-]{0,62}"
DB_CLUSTER = Param(
    "db_cluster",
    str,
    "Aurora DB cluster identifier",
    required=True,
    env=ENV_DB_CLUSTER,
    pattern=DB_CLUSTER_ID,
)
INCIDENT_ID = Param(
    "incident_id",
    str,
    "incident id, e.g. INC-20261126-01",
    required=True,
    env=ENV_INCIDENT_ID,
    pattern=r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}",
)
