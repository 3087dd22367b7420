"""A check result for store tests: the shape of quantmatrix.runtime.checks.CheckResult
(CheckResultLike), without running a check. Shared by tests/runtime and tests/reconcile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckShape:
    name: str
    category: str
    passed: bool
    duration_seconds: float
    message: str
    status: str | None = None
