"""Entry point CrossGuard runs (``pulumi preview --policy-pack policy``): serve the pack.

The analyzer runs this file with the pack folder on sys.path; the policies import the
project's own packages (stack_config, components), so the repository root goes first.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.pack import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
    description="Guardrails for the Zelly incident infrastructure: backups, alarms, "
    "break-glass access and runbook functions.",
)
