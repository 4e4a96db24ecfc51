"""AWS Regions and their partitions, as botocore's own endpoint data lists them.

``region`` and ``backup.copyRegion`` must be Regions that exist, and ARNs in the stack config must
name a partition and a Region that belong together: ``arn:aws:kms:cn-north-1:...`` is neither a
commercial nor a China key. The list is botocore's ``partitions.json`` (the data its endpoint
rules resolve every service's host from, as targets/safety.py reads it for the partitions' DNS
suffixes), so a Region AWS opens is accepted as soon as botocore knows it; the ``*-global``
pseudo-regions there are not Regions and are left out.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def partitions() -> dict[str, frozenset[str]]:
    """Partition id ("aws", "aws-cn", "aws-us-gov"...) -> its Regions."""
    from botocore.loaders import create_loader

    return {
        partition["id"]: frozenset(
            region for region in partition.get("regions", {}) if not region.endswith("-global")
        )
        for partition in create_loader().load_data("partitions")["partitions"]
    }


def partition_of(region: str) -> str | None:
    """The partition whose Region ``region`` is, or None if botocore knows no such Region."""
    return next((pid for pid, regions in partitions().items() if region in regions), None)


def is_region(region: str) -> bool:
    return partition_of(region) is not None
