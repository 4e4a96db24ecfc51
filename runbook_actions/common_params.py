"""Parameters that several actions share, declared once."""
from .constants import ENV_CLUSTER
from .params import Param

ECS_NAME = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,254}"

CLUSTER = Param("cluster", str, "ECS cluster name", required=True, env=ENV_CLUSTER, pattern=ECS_NAME)
SERVICE = Param("service", str, "ECS service name", required=True, pattern=ECS_NAME)
SERVICES = Param("services", str, "limit to these services (default: every service of the cluster)",
                 multiple=True, pattern=ECS_NAME)
