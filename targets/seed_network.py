"""The stand-in platform's network: where stop-writes' write fence reads its facts from.

A VPC with application subnets (the ECS services' awsvpc subnets) and database subnets (the
Aurora cluster's DB subnet group) in two Availability Zones; the database subnets are associated
with their own network ACL, which allows everything at rule 100 as a real one commonly does (a
new ACL denies everything until rules are added), so the fence's deny entries must be numbered
below it. The services' security group is there because ECS refuses an awsvpc configuration
without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VPC_CIDR = "10.20.0.0/16"
APP_CIDRS = ("10.20.1.0/24", "10.20.2.0/24")
DB_CIDRS = ("10.20.11.0/24", "10.20.12.0/24")
ALLOW_ALL_RULE = 100


@dataclass(frozen=True)
class SeededNetwork:
    vpc_id: str
    app_subnets: tuple[str, ...]
    db_subnets: tuple[str, ...]
    db_subnet_group: str
    db_acl_id: str
    security_group: str

    def awsvpc(self) -> dict[str, Any]:
        """The networkConfiguration every seeded service runs with."""
        return {
            "awsvpcConfiguration": {
                "subnets": list(self.app_subnets),
                "securityGroups": [self.security_group],
                "assignPublicIp": "DISABLED",
            }
        }


def seed_network(ec2: Any, rds: Any, *, region: str, name: str) -> SeededNetwork:
    """The network of a platform whose database and services are named after ``name``."""
    vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    zones = (f"{region}a", f"{region}b")
    app = tuple(_subnet(ec2, vpc_id, cidr, zone) for cidr, zone in zip(APP_CIDRS, zones))
    db = tuple(_subnet(ec2, vpc_id, cidr, zone) for cidr, zone in zip(DB_CIDRS, zones))
    acl_id = _db_acl(ec2, vpc_id, db)
    group = f"{name}-subnets"
    rds.create_db_subnet_group(
        DBSubnetGroupName=group, DBSubnetGroupDescription=f"{name} database subnets", SubnetIds=list(db)
    )
    security_group = ec2.create_security_group(
        GroupName=f"{name}-services", Description="ECS services", VpcId=vpc_id
    )["GroupId"]
    return SeededNetwork(vpc_id, app, db, group, acl_id, security_group)


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
