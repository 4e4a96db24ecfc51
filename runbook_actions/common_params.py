"""Parameters that several actions share, declared once."""

import ipaddress

from .constants import ENV_APP_CIDRS, ENV_CLUSTER, ENV_DB_CLUSTER, ENV_INCIDENT_ID, ENV_RESPONDER_CIDRS
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


def ipv4_network(text: str) -> str:
    """``text`` as an IPv4 network in its canonical form (``10.0.1.0/24``); host bits refused."""
    try:
        return str(ipaddress.IPv4Network(text.strip(), strict=True))
    except ValueError:
        raise ValueError("is not an IPv4 network in CIDR form (e.g. 10.0.1.0/24, no host bits)") from None


APP_CIDR = Param(
    "app_cidr",
    str,
    "IPv4 CIDR of a subnet the services run in: with these the write fence goes up before the "
    "services are read (stack config network.applicationSubnetCidrs)",
    env=ENV_APP_CIDRS,
    multiple=True,
    check=ipv4_network,
)
RESPONDER_CIDR = Param(
    "responder_cidr",
    str,
    "IPv4 CIDR responders reach the database from (VPN, bastion); one inside an application CIDR "
    "gets an allow below the fence (stack config network.responderCidrs)",
    env=ENV_RESPONDER_CIDRS,
    multiple=True,
    check=ipv4_network,
)
