"""Each fault-injection knob of the sandbox makes the matching check fail, with a clear message.

The table lists every fault kind (`FAULTS`) at least once; a test below keeps it that way.
The platform is started once for the module and reset between cases.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from sandbox_platform import RELEASE, Platform  # noqa: E402

from quantmatrix.runtime.checks import CheckSettings, Target, run_checks  # noqa: E402
from quantmatrix.sandbox.faults import FAULTS  # noqa: E402
from quantmatrix.sandbox.launch import launch_platform, stop_all  # noqa: E402

# the API waits --peer-timeout (0.5 s) for a peer, so the checks wait longer than that
SETTINGS = CheckSettings(timeout_seconds=1, retries=0, backoff_seconds=0, deadline_seconds=3)

# (component, fault, the check that must fail, words its message must hold)
CASES = [
    ("api", "unhealthy", "health.api", "api: injected fault: unhealthy"),
    ("workers", "unhealthy", "health.scanner", "scanner: injected fault: unhealthy"),
    ("workers", "unhealthy=strategy_allocator", "health.strategy_allocator", "strategy_allocator unhealthy"),
    ("workers", "unhealthy=analytics_pipeline", "health.analytics_pipeline", "analytics_pipeline unhealthy"),
    ("workers", "stale_prices", "health.market_data", "prices are stale"),
    ("workers", "broker_disconnected", "health.broker", "broker disconnected"),
    ("workers", "risk_manager_down", "health.risk_manager", "risk manager not answering"),
    ("api", "slow=1.2", "health.api", "no answer within 1 s"),
    ("workers", "slow=0.8", "health.broker", "did not answer within"),
    ("api", "wrong_version=9.9.9", "health.versions", "api reports 9.9.9, expected 3.3.1"),
    ("workers", "wrong_version=9.9.9", "health.versions", "workers reports 9.9.9"),
    ("ui", "wrong_version=9.9.9", "health.versions", "ui reports 9.9.9"),
    ("ui", "unhealthy", "smoke.ui_loads", "UI: HTTP 503"),
    ("api", "broken_screen=account", "smoke.account_summary", "account summary (/api/account): HTTP 500"),
    ("api", "broken_screen=orders", "smoke.orders", "HTTP 500"),
    ("api", "broken_screen=positions", "smoke.positions", "HTTP 500"),
    ("api", "broken_screen=risk", "smoke.risk", "HTTP 500"),
    ("api", "broken_screen=settings", "smoke.settings", "HTTP 500"),
    ("api", "broken_screen=reconciliation", "safety.reconciliation", "HTTP 500"),
    ("api", "wrong_mode", "safety.mode_displayed", "API /health reports mode 'live', expected 'paper'"),
    ("workers", "wrong_mode", "safety.mode_displayed", "workers reports mode 'live'"),
    (
        "ui",
        "wrong_mode",
        "safety.mode_displayed",
        "the UI banner says 'LIVE TRADING · REAL CAPITAL', expected 'PAPER TRADING'",
    ),
    ("ui", "wrong_mode=backtest", "safety.mode_displayed", "marked mode 'backtest'"),
    ("api", "unexpected_position=TSLA", "safety.no_unexpected_positions", "unexpected positions: TSLA 100"),
    ("api", "unexpected_order=NVDA", "safety.no_unexpected_orders", "unexpected open orders: ord-unknown (NVDA)"),
    (
        "api",
        "ignore_blocked_symbols",
        "safety.blocked_symbols_enforced",
        "a probe order for blocked symbol GME was accepted",
    ),
    ("api", "ignore_risk_limits", "safety.risk_limits_loaded", "max_order_notional is 1000000, configured 10000"),
    ("api", "reconciliation_mismatch", "safety.reconciliation", "AAPL ledger 0.0 broker 7.0"),
    ("api", "duplicate_order=AAPL", "safety.no_duplicate_orders", "client order ids sent more than once: dup-1"),
    ("ui", "no_halt_control", "safety.operator_controls", "the UI shows no emergency halt control"),
]


@pytest.fixture
def paper(paper_platform: Platform) -> Platform:
    paper_platform.reset()
    return paper_platform


@pytest.mark.parametrize("component, fault, check, words", CASES, ids=[f"{c}:{f}" for c, f, _, _ in CASES])
def test_fault_fails_its_check(paper: Platform, component: str, fault: str, check: str, words: str) -> None:
    target = Target(paper.api, paper.ui, expected_versions=paper.versions)
    before = {r.name: r for r in run_checks(target, paper.environment, SETTINGS, names=[check])}
    assert before[check].passed, before[check].message  # the check passes until the fault is set
    httpx.post(f"{paper.processes[component].url}/_sandbox/faults", json={"fault": fault}).raise_for_status()
    result = {r.name: r for r in run_checks(target, paper.environment, SETTINGS, names=[check])}[check]
    assert not result.passed
    assert words in result.message, result.message
    if result.category == "health":
        assert result.status in ("degraded", "missing")


def test_a_crashed_workers_process_is_missing() -> None:
    """crash kills the process, so it gets a platform of its own (no control keys needed)."""
    environment = __import__("sandbox_platform").sample_environment("local")
    platform = launch_platform(RELEASE, "local")
    try:
        httpx.post(f"{platform['workers'].url}/_sandbox/faults", json={"fault": "crash"}).raise_for_status()
        assert platform["workers"].process.wait(5) == 1
        result = run_checks(
            Target(platform["api"].url, platform["ui"].url), environment, SETTINGS, names=["health.broker"]
        )[0]
        assert result.status == "missing" and "did not answer" in result.message
    finally:
        stop_all([launched.process for launched in platform.values()])


def test_every_fault_kind_has_a_case() -> None:
    covered = {fault.split("=")[0] for _, fault, _, _ in CASES} | {"crash"}
    assert covered == set(FAULTS)


def test_rollback_triggers_name_real_checks_and_fire_on_failures(paper: Platform) -> None:
    from quantmatrix.runtime.checks import CHECKS, ROLLBACK_TRIGGERS, triggered

    assert all(name in CHECKS for names in ROLLBACK_TRIGGERS.values() for name in names)
    target = Target(paper.api, paper.ui)
    assert triggered(run_checks(target, paper.environment, SETTINGS)) == []
    httpx.post(f"{paper.api}/_sandbox/faults", json={"fault": "duplicate_order"}).raise_for_status()
    httpx.post(f"{paper.workers}/_sandbox/faults", json={"fault": "broker_disconnected"}).raise_for_status()
    assert triggered(run_checks(target, paper.environment, SETTINGS)) == ["order_duplication_risk", "broker_unstable"]
