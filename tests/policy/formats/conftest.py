"""Hand-built check results for the output-format tests.

Formats render a `CheckResult` and nothing else, so these tests build results directly
(no engine, no policy pack): a realistic one with findings on every kind of target, in an
order deliberately different from the report order, and a clean one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta, WaiverRef

SEP_BACKTEST = RuleMeta(
    "QM-SEP-002",
    "Backtest never routes live orders",
    "deny",
    "§3",
    "Backtest is simulated only.",
    "policies/separation.rego",
    21,
)
SEP_SCOPE = RuleMeta(
    "QM-SEP-001", "Secrets of the environment's own scope only", "deny", "§3", "", "policies/separation.rego", 5
)
RISK_CEILING = RuleMeta(
    "QM-CFG-010", "Risk limits under the configured ceilings", "warn", "§6", "", "policies/configuration.rego", 40
)
GO_LIVE = RuleMeta("QM-LIVE-001", "Go-live preconditions recorded", "deny", "§9", "", "policies/live.rego", 8)
PINNED = RuleMeta("QM-REL-001", "Release versions pinned", "deny", "§10", "", "policies/releases.rego", 6)
DOCUMENTED = RuleMeta(
    "QM-CFG-002", "Every referenced secret documented", "deny", "§6", "", "policies/configuration.rego", 12
)
BASE_DEFAULTS = RuleMeta("QM-SEP-006", "Defaults favour non-live", "deny", "§3", "", "policies/separation.rego", 60)
QUIET = RuleMeta("QM-LOC-001", "Local is dry-run only", "deny", "§7", "", "policies/local.rego", 3)
RULES = (SEP_BACKTEST, SEP_SCOPE, RISK_CEILING, GO_LIVE, PINNED, DOCUMENTED, BASE_DEFAULTS, QUIET)

WAIVER = WaiverRef(
    "ramp approved by the risk committee", "ops-lead@quantmatrix.io", "2026-12-31", "policies/waivers.yaml", 4
)


def finding(
    rule: RuleMeta,
    target: str,
    file: str,
    line: int,
    col: int,
    message: str,
    *path: str | int,
    waiver: WaiverRef | None = None,
) -> Finding:
    kind, _, name = target.partition("/")
    section = {"environment": "environments", "release": "releases", "secret": "secrets", "base": "bases"}[kind]
    return Finding(rule, message, (section, name, *path), file, line, col, target, waiver)


# Deliberately out of report order: the formats must sort.
FINDINGS = (
    finding(
        PINNED,
        "release/2026.11.1",
        "releases/2026.11.1.yaml",
        9,
        10,
        "component api is 'latest'",
        "spec",
        "components",
        "api",
    ),
    finding(
        SEP_BACKTEST,
        "environment/backtest",
        "environments/backtest.yaml",
        14,
        5,
        "backtest can route live orders: routes_live_orders is true",
        "spec",
        "execution",
        "routes_live_orders",
    ),
    finding(
        DOCUMENTED,
        "secret/QM_PAPER_BROKER_KEY",
        "environments/secrets.yaml",
        30,
        3,
        "QM_PAPER_BROKER_KEY has no description",
        "description",
    ),
    finding(
        RISK_CEILING,
        "environment/paper",
        "environments/paper.yaml",
        22,
        21,
        "max_daily_loss 50000 is above the ceiling 25000",
        "spec",
        "risk",
        "max_daily_loss",
    ),
    finding(
        BASE_DEFAULTS,
        "base/_base",
        "environments/_base.yaml",
        7,
        9,
        "the base sets routes_live_orders: true",
        "spec",
        "execution",
        "routes_live_orders",
    ),
    finding(
        GO_LIVE,
        "environment/live",
        "environments/live.yaml",
        31,
        5,
        "no production readiness review recorded",
        "spec",
        "approvals",
    ),
    finding(
        SEP_SCOPE,
        "environment/live",
        "environments/live.yaml",
        18,
        7,
        "uses QM_PAPER_REDIS_URL (scope paper)",
        "spec",
        "redis",
        "url",
    ),
    finding(
        SEP_SCOPE,
        "environment/local",
        "environments/local.yaml",
        12,
        7,
        "uses QM_LIVE_BROKER_KEY (scope live)",
        "spec",
        "execution",
        "credentials",
        "key",
    ),
)
WAIVED = (
    finding(
        RISK_CEILING,
        "environment/live",
        "environments/live.yaml",
        12,
        12,
        "capital 250000 is above the first-release ceiling",
        "spec",
        "capital",
        waiver=WAIVER,
    ),
)


@pytest.fixture
def samples() -> ModuleType:
    """This module: its rules, findings and `finding()` builder (importlib mode cannot import it)."""
    return sys.modules[__name__]


@pytest.fixture
def check_result() -> CheckResult:
    """Seven denials, one warning, one waived finding over every kind of target."""
    return CheckResult(".", "embedded", RULES, FINDINGS, WAIVED)


@pytest.fixture
def clean_result() -> CheckResult:
    return CheckResult(".", "embedded", RULES, ())


@pytest.fixture
def make_result() -> Callable[..., CheckResult]:
    def make(findings: tuple[Finding, ...] = (), waived: tuple[Finding, ...] = (), **kwargs: object) -> CheckResult:
        return CheckResult(".", "embedded", RULES, findings, waived, **kwargs)  # type: ignore[arg-type]

    return make
