"""Safety tests share the actions' valid runs with tests/resilience (tests/action_cases.py)."""
from __future__ import annotations

import sys
from pathlib import Path

# Test folders are not packages; the shared case module lives one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
