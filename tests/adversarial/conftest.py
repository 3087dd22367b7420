"""Fixtures shared by the adversarial tests: the sample state and the real pack committed in a
real git repository (tests/diff/gitrepo.py), made once per module and copied per test."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gitrepo.make_repo(tmp_path_factory.mktemp("template") / "repo", pack="real").root


@pytest.fixture
def repo(tmp_path: Path, committed: Path) -> gitrepo.GitRepo:
    """The sample state and the real pack, committed on `main` (a copy of one made per module)."""
    shutil.copytree(committed, tmp_path / "repo", symlinks=True)
    return gitrepo.GitRepo(tmp_path / "repo")
