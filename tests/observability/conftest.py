"""tests/runtime/ on sys.path for the canary helpers (tests use importlib mode)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from canary import Canary  # noqa: E402


@pytest.fixture
def make_canary(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Canary]:
    return lambda **options: Canary.create(monkeypatch, **options)
