"""Fixtures of the diff tests: a real git repository of the sample state."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make the helper module importable
import gitrepo  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sample state committed on `main` with the delta rules as the pack; work tree on `main`."""
    gitrepo.without_builtin_pack(monkeypatch)
    return gitrepo.make_repo(tmp_path / "repo")
