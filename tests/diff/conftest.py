"""Fixtures of the diff tests: a real git repository of the sample state, and `qm` run
through the real CLI edge."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make the helper module importable
import gitrepo  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path) -> Any:
    """The sample state committed on `main` with the delta rules as the pack; work tree on `main`."""
    return gitrepo.make_repo(tmp_path / "repo")


@pytest.fixture
def qm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `qm ARGS...` through the real CLI edge; returns (exit code, stdout, stderr)."""
    return gitrepo.qm_runner(capsys)
