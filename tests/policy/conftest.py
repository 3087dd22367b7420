"""Fixtures of the policy-gate tests: a repository of the sample desired state with the
tiny fixture pack, the fake OPA server, and a way to run `qm` through the real CLI edge."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_POLICIES = Path(__file__).parent / "fixtures" / "policies"


def _module(name: str, path: Path):  # tests use importlib mode: load helpers by path
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


def _line_of(file: Path, text: str, after: int = 0) -> int:
    """1-based line of the first line after line `after` containing `text`."""
    return next(n for n, line in enumerate(file.read_text().splitlines(), 1) if n > after and text in line)


@pytest.fixture
def line_of() -> Callable[..., int]:
    """Find the exact line of a value in a sample file, so tests assert exact lines and still
    survive edits of the sample repository."""
    return _line_of


@pytest.fixture
def no_builtin_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    """Judge with the repository's pack alone: the gate-mechanics tests use a tiny fixture
    pack whose findings they know exactly (the CLI has no such switch)."""
    from quantmatrix.policy import builtin

    monkeypatch.setattr(builtin, "installed", lambda: None)


@pytest.fixture
def repo(tmp_path: Path, no_builtin_pack: None) -> Path:
    """The sample environments and releases, checked by the fixture pack alone."""
    root = tmp_path / "repo"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copytree(FIXTURE_POLICIES, root / "policies")
    return root


@pytest.fixture
def real_repo(tmp_path: Path) -> Path:
    """The sample repository with the real policy pack (copied, so tests may break it)."""
    root = tmp_path / "real"
    for folder in ("environments", "releases", "policies"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


@pytest.fixture
def fake_opa() -> Iterator[object]:
    """A local HTTP server speaking OPA's REST API subset (stands in for a real OPA binary,
    which cannot be installed here; the GitHub workflow runs the real one)."""
    module = _module("qm_fake_opa", Path(__file__).parent / "fake_opa.py")
    with module.FakeOpaServer() as server:
        yield server
