"""Each policy's configurable thresholds, with defaults, declared once.

Override them with ``pulumi preview --policy-pack policy --policy-pack-config <file.json>``,
e.g. ``{"backup-retention-minimum": {"minimumRetentionDays": 14}}``.
"""

from __future__ import annotations

from typing import Any, Mapping

from pulumi_policy import PolicyConfigSchema


def schema(**properties: Mapping[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={name: dict(spec) for name, spec in properties.items()})


def setting(config: Mapping[str, Any], schema_: PolicyConfigSchema, name: str) -> Any:
    """The configured value of ``name``, else the schema's default."""
    if name in config and config[name] is not None:
        return config[name]
    return schema_.properties[name].get("default")
