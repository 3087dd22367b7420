"""Health, smoke and trading-safety checks (guide §12) over httpx: a registry of assessors."""

from quantmatrix.runtime.checks.probe import Target
from quantmatrix.runtime.checks.registry import CHECKS, ROLLBACK_TRIGGERS, run_checks, run_checks_async, triggered
from quantmatrix.runtime.checks.result import CheckResult, CheckSettings, settings_for

__all__ = [
    "CHECKS",
    "ROLLBACK_TRIGGERS",
    "CheckResult",
    "CheckSettings",
    "Target",
    "run_checks",
    "run_checks_async",
    "settings_for",
    "triggered",
]
