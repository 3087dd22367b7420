"""Fixtures of the use-case tests: the diff tests' real git repository of the sample state."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sample state committed on `main`, judged by the delta rules alone (as in tests/diff)."""
    gitrepo.without_builtin_pack(monkeypatch)
    return gitrepo.make_repo(tmp_path / "repo")


@pytest.fixture
def deploy_repo(tmp_path: Path) -> Any:
    """The sample state in `deploy/` of its repository, committed on `main`."""
    repo = gitrepo.GitRepo(tmp_path / "repo")
    for folder in ("environments", "releases"):
        shutil.copytree(gitrepo.ROOT / folder, repo.root / "deploy" / folder)
    repo.git("init", "-q", "-b", "main")
    repo.commit("state in deploy/")
    return repo
