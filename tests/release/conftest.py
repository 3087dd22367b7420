"""Fixtures of the release tests: the git repository helper of tests/diff."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # the shared helper lives there
import gitrepo  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sample state committed on `main` with the delta rules as the pack."""
    gitrepo.without_builtin_pack(monkeypatch)
    return gitrepo.make_repo(tmp_path / "repo")


@pytest.fixture
def real_pack_repo(tmp_path: Path) -> Any:
    """The sample state with this checkout's whole policy pack."""
    return gitrepo.make_repo(tmp_path / "repo", pack="real")
