"""Health, smoke and trading-safety checks (guide §12) over httpx: a registry of assessors."""

from quantmatrix.runtime.checks.probe import Target
from quantmatrix.runtime.checks.registry import CHECKS, run_checks, run_checks_async
from quantmatrix.runtime.checks.result import CheckResult, CheckSettings

__all__ = ["CHECKS", "CheckResult", "CheckSettings", "Target", "run_checks", "run_checks_async"]
