"""Sandbox tests: real processes on free ports, real HTTP, real Redis (tests/sandbox/sandbox_platform.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sandbox_platform import control, local_platform, paper_platform  # noqa: E402,F401  (fixtures)
