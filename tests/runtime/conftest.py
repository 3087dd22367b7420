"""Fixtures of the runtime tests: the canary secret (tests/runtime/canary.py).

Tests under tests/runtime/ get the `canary` and `make_canary` fixtures, the sandbox
platform fixtures (`local_platform`, `paper_platform`), and may
`from canary import Canary` (this folder is put on sys.path: tests use importlib mode)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from canary import Canary  # noqa: E402
from sandbox_platform import local_platform, paper_platform  # noqa: E402,F401  (fixtures)


@pytest.fixture
def make_canary(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Canary]:
    """`make_canary(mode="paper", url=True, name="QM_X")`: a canary of that scope and shape."""
    return lambda **options: Canary.create(monkeypatch, **options)


@pytest.fixture
def canary(make_canary: Callable[..., Canary]) -> Canary:
    """A local-scoped canary secret whose value is a database URL with a random password."""
    return make_canary(mode="local", url=True)
