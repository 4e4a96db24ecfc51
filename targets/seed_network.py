"""The stand-in platform's network: where stop-writes' write fence reads its facts from.

A VPC with application subnets (the ECS services' awsvpc subnets) and database subnets (the
Aurora cluster's DB subnet group) in two Availability Zones; the database subnets are associated
with their own network ACL, which allows everything at rule 100 as a real one commonly does (a
new ACL denies everything until rules are added), so the fence's entries must be numbered
below it. The application subnets get exactly the CIDRs the stack config names
(``network.applicationSubnetCidrs``), so a drill fences exactly what the config says; the VPC is
the /16 holding them, the database subnets two /24s of it beside them. The services' security
group is there because ECS refuses an awsvpc configuration without one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

APP_CIDRS = ("10.20.1.0/24", "10.20.2.0/24")  # when the stack config names none
DB_SUBNET_OFFSET = 11  # the database subnets are the VPC's 11th and 12th /24 (10.x.11.0/24) when free
ALLOW_ALL_RULE = 100


@dataclass(frozen=True)
class SeededNetwork:
    vpc_id: str
    app_subnets: tuple[str, ...]
    db_subnets: tuple[str, ...]
    db_subnet_group: str
    db_acl_id: str
    security_group: str
    app_cidrs: tuple[str, ...] = APP_CIDRS

    def awsvpc(self) -> dict[str, Any]:
        """The networkConfiguration every seeded service runs with."""
        return {
            "awsvpcConfiguration": {
                "subnets": list(self.app_subnets),
                "securityGroups": [self.security_group],
                "assignPublicIp": "DISABLED",
            }
        }


def layout(app_cidrs: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The VPC's CIDR (the /16 holding the first application CIDR) and two database subnets of
    it that overlap no application CIDR. Raises ValueError if the application CIDRs do not fit."""
    apps = [ipaddress.IPv4Network(cidr) for cidr in app_cidrs]
    vpc = apps[0].supernet(new_prefix=16) if apps[0].prefixlen > 16 else apps[0]
    outside = [str(app) for app in apps if not app.subnet_of(vpc)]
    if outside:
        raise ValueError(f"application CIDR(s) {', '.join(outside)} are not in the seeded VPC {vpc}")
    free = [subnet for subnet in vpc.subnets(new_prefix=24) if not any(subnet.overlaps(app) for app in apps)]
    preferred = [
        s for s in free if int(s.network_address) >= int(vpc.network_address) + DB_SUBNET_OFFSET * 256
    ]
    db = (preferred or free)[:2]
    return str(vpc), tuple(str(subnet) for subnet in db)


def seed_network(
    ec2: Any, rds: Any, *, region: str, name: str, app_cidrs: tuple[str, ...] = APP_CIDRS
) -> SeededNetwork:
    """The network of a platform whose database and services are named after ``name``, its
    application subnets at ``app_cidrs`` (one per Availability Zone, alternating)."""
    vpc_cidr, db_cidrs = layout(app_cidrs)
    vpc_id = ec2.create_vpc(CidrBlock=vpc_cidr)["Vpc"]["VpcId"]
    zones = (f"{region}a", f"{region}b")
    app = tuple(_subnet(ec2, vpc_id, cidr, zones[i % 2]) for i, cidr in enumerate(app_cidrs))
    db = tuple(_subnet(ec2, vpc_id, cidr, zone) for cidr, zone in zip(db_cidrs, zones))
    acl_id = _db_acl(ec2, vpc_id, db)
    group = f"{name}-subnets"
    rds.create_db_subnet_group(
        DBSubnetGroupName=group, DBSubnetGroupDescription=f"{name} database subnets", SubnetIds=list(db)
    )
    security_group = ec2.create_security_group(
        GroupName=f"{name}-services", Description="ECS services", VpcId=vpc_id
    )["GroupId"]
    return SeededNetwork(vpc_id, app, db, group, acl_id, security_group, tuple(app_cidrs))


def _subnet(ec2: Any, vpc_id: str, cidr: str, zone: str) -> str:
    return str(ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"])


def _db_acl(ec2: Any, vpc_id: str, subnets: tuple[str, ...]) -> str:
    """A network ACL of the database subnets: allow all at rule 100, both ways."""
    acl_id = str(ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"])
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=acl_id,
            RuleNumber=ALLOW_ALL_RULE,
            Protocol="-1",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
        )
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": list(subnets)}])
    for acl in current["NetworkAcls"]:
        for association in acl["Associations"]:
            if association["SubnetId"] in subnets:
                ec2.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
                )
    return acl_id
