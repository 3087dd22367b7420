"""Every sandbox fault, and every §13 rollback trigger, as the end state of an apply on a
paper-like environment (PostgreSQL store, Redis control keys, the sandbox platform).

The platform is started once for the module (paper on 2026.11.0, ACTIVE); each test first
brings it back there (faults cleared, the baseline pinned and applied), then applies a change
with one fault injected through the sandbox's own fault route just before the checks step —
the moment a misbehaviour that started after the services were deployed and verified shows
up. The hook is the apply's between-steps callback (`stop_requested`, asked before each step),
so the apply itself runs unmodified; nothing is mocked.

- An upgrade to 2026.11.1 (api and workers change): the failed apply halts trading (paper,
  services changed), restores the previous release's services (rollback used), records an
  incident naming the failed step and check, and never lets trading be ACTIVE on the
  unvalidated versions. `EXPECTED` holds each fault's end state; a fault added to `FAULTS`
  without one fails `test_every_fault_has_an_expected_end_state`.
- A configuration change only (no service changes): each §13 trigger, fired by a fault whose
  checks are that trigger's, fails the apply with the trigger named; trading is halted and
  nothing is rolled back (no service had changed).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from quantmatrix.errors import DeployFailed
from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.reconcile.apply import apply, compute_plan
from quantmatrix.reconcile.connect import Connected, connect
from quantmatrix.repo.loader import load
from quantmatrix.repo.source import open_source
from quantmatrix.runtime.checks import ROLLBACK_TRIGGERS
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.store.deployments import DeploymentRecord, deployment_history
from quantmatrix.runtime.store.events import trading_history
from quantmatrix.runtime.store.journal import journal_steps
from quantmatrix.sandbox.faults import FAULTS
from quantmatrix.usecases.promote import promote

from .conftest import copy_local_repo, make_paper_like, stop_platform  # type: ignore[import-not-found]
from .fresh_store import fresh_database  # type: ignore[import-not-found]

BASELINE, UPGRADE = "2026.11.0", "2026.11.1"  # 2026.11.1: api 3.3.0 → 3.3.1, workers 3.3.0 → 3.3.2, ui 2.8.0 as is


@dataclass(frozen=True)
class EndState:
    """What a fault leaves after a failed apply (all faults: status, trading HALTED, incident)."""

    component: str  # where the fault is injected (the first component it applies to)
    fault: str  # KIND or KIND=VALUE
    step: str  # the step that fails: checks or reconciliation
    check: str  # a check that must fail, named in the incident
    triggers: tuple[str, ...]  # the §13 rollback triggers fired, exactly, in the table's order
    # False: `triggers` must fire and others may. A crashed or mute API fails the checks that
    # read it while it is gone; which of the order and reconciliation reads land in that gap
    # depends on timing, so only the triggers fired in every run are required.
    exact: bool = True
    restored_checks_pass: bool = (
        True  # after restoring 2026.11.0's services (False: the fault is in a service not restored)
    )


_EVERYTHING = tuple(ROLLBACK_TRIGGERS)  # the API gone or mute: every trigger's checks may fail
_API_GONE = ("risk_manager_unreliable", "broker_unstable", "operator_controls_missing_or_misleading")

EXPECTED: dict[str, EndState] = {
    "unhealthy": EndState("api", "unhealthy", "checks", "health.api", ()),
    "slow": EndState("api", "slow=1.5", "checks", "health.api", _API_GONE, exact=False),
    "crash": EndState("api", "crash", "checks", "health.api", _API_GONE, exact=False),
    "wrong_mode": EndState(
        "api", "wrong_mode", "checks", "safety.mode_displayed", ("operator_controls_missing_or_misleading",)
    ),
    "wrong_version": EndState("api", "wrong_version=9.9.9", "checks", "health.versions", ()),
    "unexpected_position": EndState(
        "api", "unexpected_position=TSLA", "checks", "safety.no_unexpected_positions", ("reconciliation_broken",)
    ),
    "unexpected_order": EndState(
        "api", "unexpected_order=NVDA", "checks", "safety.no_unexpected_orders", ("order_duplication_risk",)
    ),
    "duplicate_order": EndState(
        "api", "duplicate_order=AAPL", "checks", "safety.no_duplicate_orders", ("order_duplication_risk",)
    ),
    "ignore_blocked_symbols": EndState(
        "api", "ignore_blocked_symbols", "checks", "safety.blocked_symbols_enforced", ("risk_manager_unreliable",)
    ),
    "ignore_risk_limits": EndState(
        "api", "ignore_risk_limits", "checks", "safety.risk_limits_loaded", ("risk_manager_unreliable",)
    ),
    "reconciliation_mismatch": EndState(
        "api", "reconciliation_mismatch", "reconciliation", "safety.reconciliation", ("reconciliation_broken",)
    ),
    # an orders screen that cannot be read cannot rule out duplicate or unknown orders: fails closed
    "broken_screen": EndState("api", "broken_screen=orders", "checks", "smoke.orders", ("order_duplication_risk",)),
    "no_halt_control": EndState(
        "ui",
        "no_halt_control",
        "checks",
        "safety.operator_controls",
        ("operator_controls_missing_or_misleading",),
        restored_checks_pass=False,  # the UI is not part of the upgrade: restoring does not replace it
    ),
    "stale_prices": EndState("workers", "stale_prices", "checks", "health.market_data", ("broker_unstable",)),
    "broker_disconnected": EndState("workers", "broker_disconnected", "checks", "health.broker", ("broker_unstable",)),
    "risk_manager_down": EndState(
        "workers", "risk_manager_down", "checks", "health.risk_manager", ("risk_manager_unreliable",)
    ),
}


@dataclass
class Paper:
    repo: Path
    baseline: str  # environments/paper.yaml pinned to 2026.11.0 (by qm promote)
    upgraded: str  # and as it was, on 2026.11.1

    def connected(self) -> Connected:
        return connect(load(self.repo), "paper", self.repo, create=False)

    def write(self, text: str) -> None:
        (self.repo / "environments" / "paper.yaml").write_text(text)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, pg_admin: Any, redis_server: Any) -> Iterator[Paper]:
    """Paper-like, applied at 2026.11.0, for the whole module; stopped by pid at the end."""
    repo = copy_local_repo(tmp_path_factory.mktemp("faults") / "repo")
    prefix = f"qmtest:{secrets.token_hex(6)}:"
    with fresh_database(pg_admin) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("QM_PAPER_POSTGRES_URL", url)
        patch.setenv("QM_PAPER_REDIS_URL", "redis://127.0.0.1:6379/0")
        make_paper_like(repo, prefix)
        paper = repo / "environments" / "paper.yaml"
        checks = "      timeout_seconds: 3\n      retries: 3\n      backoff_seconds: 0.5\n      deadline_seconds: 30\n"
        assert checks in paper.read_text()  # a failing check gives up in seconds, as local's do
        paper.write_text(
            paper.read_text().replace(checks, "      timeout_seconds: 1\n      retries: 1\n      deadline_seconds: 5\n")
        )
        upgraded = paper.read_text()
        promote(repo, BASELINE, "paper")
        try:
            yield Paper(repo, paper.read_text(), upgraded)
        finally:
            stop_platform(repo, "paper")
            keys = list(redis_server.scan_iter(match=f"{prefix}*", count=500))
            if keys:
                redis_server.delete(*keys)


@pytest.fixture
def paper(platform: Paper) -> Paper:
    """The module's platform back at the baseline: no fault anywhere, 2026.11.0 applied, ACTIVE."""
    connected = platform.connected()
    try:
        for component in ("api", "workers", "ui"):
            endpoint = connected.driver.observe(component).endpoint
            if endpoint is not None:
                httpx.delete(f"{endpoint}/_sandbox/faults", timeout=5).raise_for_status()
    finally:
        connected.close()
    platform.write(platform.baseline)
    apply(load(platform.repo), open_source(platform.repo), "paper", platform.repo)
    assert _trading(platform) is TradingState.ACTIVE
    return platform


def _trading(paper: Paper) -> TradingState:
    connected = paper.connected()
    try:
        assert connected.control is not None
        return connected.control.read().trading
    finally:
        connected.close()


def _running(paper: Paper) -> dict[str, str | None]:
    connected = paper.connected()
    try:
        return {c: connected.driver.observe(c).version for c in COMPONENTS}
    finally:
        connected.close()


class FaultBefore:
    """The apply's between-steps callback: injects `fault` into `component` just before `step`."""

    def __init__(self, paper: Paper, step: str, component: str, fault: str):
        connected = paper.connected()
        try:
            self.steps = [s.id for s in compute_plan(load(paper.repo), connected).steps]
        finally:
            connected.close()
        self.paper, self.at, self.component, self.fault = paper, self.steps.index(step), component, fault
        self.asked = 0

    def __call__(self) -> bool:
        if self.asked == self.at:
            connected = self.paper.connected()
            try:
                endpoint = connected.driver.observe(self.component).endpoint  # type: ignore[arg-type]
            finally:
                connected.close()
            assert endpoint is not None, f"{self.component} is not running"
            httpx.post(f"{endpoint}/_sandbox/faults", json={"fault": self.fault}, timeout=5).raise_for_status()
        self.asked += 1
        return False  # never a shutdown request


def _failed_apply(paper: Paper, expected: EndState) -> tuple[DeployFailed, DeploymentRecord, list[str]]:
    """Apply with the fault injected before the checks; the error, the record, the trading states since.
    The journal shows every step before `expected.step` finished and that step failed."""
    hook = FaultBefore(paper, "checks", expected.component, expected.fault)
    started = datetime.now(UTC)
    with pytest.raises(DeployFailed) as failed:
        apply(load(paper.repo), open_source(paper.repo), "paper", paper.repo, stop_requested=hook)
    connected = paper.connected()
    try:
        assert connected.store is not None
        record = deployment_history(connected.store, "paper")[0]
        steps = {s.step: s.state for s in journal_steps(connected.store, record.id)}
        assert steps[expected.step] == "failed", steps  # the step the fault was meant to fail, failed
        assert all(state == "finished" for step, state in steps.items() if step != expected.step)
        states = [row["trading"] for row in trading_history(connected.store, "paper") if row["at"] >= started]
    finally:
        connected.close()
    return failed.value, record, states


def _fired(error: DeployFailed) -> tuple[str, ...]:
    """The §13 triggers the failed step named (its first line: `step X failed: …; §13 rollback trigger: a, b`)."""
    found = re.search(r"§13 rollback trigger: ([a-z_]+(?:, [a-z_]+)*)", error.problems[0].message)
    return tuple(found.group(1).split(", ")) if found else ()


def test_every_fault_has_an_expected_end_state() -> None:
    assert set(EXPECTED) == set(FAULTS)
    for kind, expected in EXPECTED.items():
        assert expected.component in FAULTS[kind].components and expected.fault.split("=")[0] == kind


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_fault_during_an_upgrade_halts_rolls_back_and_records_it(paper: Paper, kind: str) -> None:
    expected = EXPECTED[kind]  # KeyError: a new fault needs its expected end state
    paper.write(paper.upgraded)

    error, record, states = _failed_apply(paper, expected)

    assert (record.release, record.previous_release) == (UPGRADE, BASELINE)
    assert record.status == "rolled_back" and record.rollback_used
    assert _trading(paper) is TradingState.HALTED
    assert states and set(states) <= {"REDUCING", "HALTED"}, states  # never ACTIVE on unvalidated versions
    assert any(not c.passed and c.name == expected.check for c in record.validation)
    fired = _fired(error)
    if expected.exact:
        assert fired == expected.triggers
    else:
        assert set(expected.triggers) <= set(fired) <= set(_EVERYTHING), fired
    (incident,) = record.incidents
    assert incident.kind == "deployment_failed" and f"failed at {expected.step}" in incident.summary
    assert f"step {expected.step} failed" in incident.detail and expected.check in incident.detail
    assert "restored workers 3.3.0 healthy" in incident.detail and "restored api 3.3.0 healthy" in incident.detail
    after = next(line for line in incident.detail.splitlines() if line.startswith("after restoring:"))
    assert after.endswith("checks pass") is expected.restored_checks_pass, after
    assert (
        incident.detail.splitlines()[-1]
        == f"state left: rolled back to {BASELINE} services, trading HALTED, awaiting an operator (qm resume after checks)"
    )
    assert _running(paper) == {"api": "3.3.0", "workers": "3.3.0", "ui": "2.8.0"}


def _firing(trigger: str) -> EndState:
    """The fault that fires `trigger` and no other (the narrowest way to fire it)."""
    found = [e for e in EXPECTED.values() if e.exact and e.triggers == (trigger,)]
    assert found, f"no fault fires the §13 trigger {trigger} alone: add one to the sandbox and EXPECTED"
    return found[0]


@pytest.mark.parametrize("trigger", list(ROLLBACK_TRIGGERS))
def test_each_rollback_trigger_fails_a_configuration_apply_and_halts(paper: Paper, trigger: str) -> None:
    expected = _firing(trigger)
    assert expected.check in ROLLBACK_TRIGGERS[trigger]
    paper.write(paper.baseline.replace("max_daily_loss: 5000", "max_daily_loss: 4000", 1))  # no service changes

    error, record, states = _failed_apply(paper, expected)

    assert _fired(error) == (trigger,)
    assert record.status == "failed" and not record.rollback_used  # no service had changed: nothing to restore
    assert _trading(paper) is TradingState.HALTED  # paper halts once the configuration changed
    assert states and set(states) <= {"REDUCING", "HALTED"}, states
    (incident,) = record.incidents
    assert f"§13 rollback trigger: {trigger}" in incident.detail and expected.check in incident.detail
    assert not any(line.startswith("restored ") for line in incident.detail.splitlines())
    assert _running(paper) == {"api": "3.3.0", "workers": "3.3.0", "ui": "2.8.0"}  # 2026.11.0's, untouched
