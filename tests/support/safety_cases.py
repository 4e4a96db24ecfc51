"""The accounts, stacks and production markers the target-safety tests judge requests with."""

from __future__ import annotations

import dataclasses

from stack_config import load_platform
from targets.safety import ProductionMarkers
from tests.support.platform_names import CLUSTER, DB

STAGING_ACCOUNT = "111111111111"
PRODUCTION_ACCOUNT = "999999999999"
STAGING = load_platform("staging")
# Staging with its account on the drills allowlist.
ALLOWED_STAGING = dataclasses.replace(
    STAGING, drills=dataclasses.replace(STAGING.drills, allowed_accounts=(STAGING_ACCOUNT,))
)
MARKERS = ProductionMarkers(
    stacks=frozenset({"production"}),
    clusters=frozenset({CLUSTER, DB}),
    accounts=frozenset({PRODUCTION_ACCOUNT}),
)
