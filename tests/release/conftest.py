"""Fixtures of the release tests: the git repository helper of tests/diff, and `qm`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

_HELPER = Path(__file__).parents[1] / "diff" / "gitrepo.py"
if "qm_test_gitrepo" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("qm_test_gitrepo", _HELPER)
    sys.modules["qm_test_gitrepo"] = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
    _spec.loader.exec_module(sys.modules["qm_test_gitrepo"])  # type: ignore[union-attr]
gitrepo = sys.modules["qm_test_gitrepo"]


@pytest.fixture
def repo(tmp_path: Path) -> Any:
    return gitrepo.make_repo(tmp_path / "repo")


@pytest.fixture
def real_pack_repo(tmp_path: Path) -> Any:
    """The sample state with this checkout's whole policy pack."""
    return gitrepo.make_repo(tmp_path / "repo", pack="real")


@pytest.fixture
def qm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `qm ARGS...` through the real CLI edge; returns (exit code, stdout, stderr)."""
    return gitrepo.qm_runner(capsys)
