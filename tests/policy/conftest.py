"""Policy tests evaluate the pack over what the real program registers under Pulumi mocks."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The mock harness lives with the Pulumi tests; test folders here are not packages.
sys.path[:0] = [str(HERE), str(HERE.parent / "pulumi")]
