"""The package type-checks: `python -m mypy` with the `[tool.mypy]` settings of pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_reports_no_errors() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],  # files, strictness and plugins come from pyproject.toml
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"
