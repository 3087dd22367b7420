"""Fixtures of the diff tests: a real git repository of the sample state, and `qm` run
through the real CLI edge."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable

import pytest


def load_helper(name: str, path: Path) -> Any:
    """Tests run in importlib mode: helpers are loaded by path, once."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


gitrepo = load_helper("qm_test_gitrepo", Path(__file__).with_name("gitrepo.py"))


@pytest.fixture
def repo(tmp_path: Path) -> Any:
    """The sample state committed on `main` with the delta rules as the pack; work tree on `main`."""
    return gitrepo.make_repo(tmp_path / "repo")


@pytest.fixture
def qm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `qm ARGS...` through the real CLI edge; returns (exit code, stdout, stderr)."""
    return gitrepo.qm_runner(capsys)
