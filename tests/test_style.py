"""The whole tree is clean under ruff (lint with import order, and format), with the settings
of pyproject.toml; the project's .pre-commit-config.yaml runs the same ruff version."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ruff_check_reports_nothing() -> None:
    result = _ruff("check", "--output-format", "concise")
    assert result.returncode == 0, (
        f"ruff check found problems (fix: ruff check --fix .):\n{result.stdout}{result.stderr}"
    )


def test_ruff_format_changes_nothing() -> None:
    result = _ruff("format", "--check")
    assert result.returncode == 0, f"files ruff would reformat (fix: ruff format .):\n{result.stdout}{result.stderr}"


def test_pre_commit_runs_the_ruff_version_the_tests_pin() -> None:
    """A different ruff in the hook would format differently from the tests and fight them."""
    pinned = [
        d
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
        if d.startswith("ruff")
    ]
    assert len(pinned) == 1 and (version := re.fullmatch(r"ruff==([\d.]+)", pinned[0])), pinned
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    hook = re.search(r"repo: https://github.com/astral-sh/ruff-pre-commit\n\s+rev: v([\d.]+)", config)
    assert hook and hook.group(1) == version.group(1), "ruff-pre-commit rev differs from the test extra's ruff pin"
