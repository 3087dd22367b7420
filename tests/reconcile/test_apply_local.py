"""`qm apply local` end to end: the real sandbox platform (three processes on free ports)
through the process driver, the state in SQLite under `.qm/`, no Redis — the embedded default."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from quantmatrix.errors import ExitCode
from quantmatrix.reconcile.apply import apply, compute_plan
from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.lock import acquire_apply_lock, this_process
from quantmatrix.reconcile.operate import halt, resume
from quantmatrix.repo.loader import load
from quantmatrix.repo.source import open_source
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.store.deployments import deployment_history
from quantmatrix.runtime.store.events import list_check_results, list_incidents
from quantmatrix.runtime.store.journal import journal_steps

Run = Callable[..., subprocess.CompletedProcess[str]]


def _apply(repo: Path) -> object:
    return apply(load(repo), open_source(repo), "local", repo)


def _trading(repo: Path) -> TradingState:
    connected = connect(load(repo), "local", repo, create=False)
    try:
        assert connected.control is not None
        return connected.control.read().trading
    finally:
        connected.close()


def _records(repo: Path) -> tuple[list, object]:  # type: ignore[type-arg]
    connected = connect(load(repo), "local", repo, create=False)
    assert connected.store is not None
    return deployment_history(connected.store, "local"), connected


def test_apply_from_scratch_then_status_then_a_no_op(local_repo: Path, qm_run: Run) -> None:
    first = qm_run(local_repo, "plan", "local", "--detailed-exitcode")
    assert first.returncode == ExitCode.CHANGES, first.stderr
    assert not (local_repo / ".qm" / "local" / "state.db").exists()  # planning created nothing

    done = qm_run(local_repo, "apply", "local", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deployment dep-local-2026.11.1-1 succeeded" in done.stdout

    status = qm_run(local_repo, "status", "local", "--format", "json")
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["environment"] == "local" and doc["mode"] == "local" and doc["in_sync"] is True and doc["drift"] == []
    assert doc["desired"]["release"] == doc["running"]["release"] == "2026.11.1"
    assert doc["desired"]["config_version"] == doc["running"]["config_version"]
    assert doc["running"]["components"] == {
        "api": {"version": "3.3.1", "health": "healthy"},
        "workers": {"version": "3.3.2", "health": "healthy"},
        "ui": {"version": "2.8.0", "health": "healthy"},
    }
    assert doc["trading"]["state"] == "ACTIVE" and "validated" in doc["trading"]["reason"]
    last = doc["last_deployment"]
    assert (
        last["id"] == "dep-local-2026.11.1-1"
        and last["status"] == "succeeded"
        and last["finished_at"] >= last["started_at"]
    )
    assert doc["monitoring_until"] > last["finished_at"]

    history, connected = _records(local_repo)
    try:
        steps = journal_steps(connected.store, "dep-local-2026.11.1-1")  # type: ignore[attr-defined]
        assert [s.step for s in steps] == [
            "readiness",
            "pause_trading",
            "configuration",
            "migrations",
            "deploy.api",
            "deploy.workers",
            "deploy.ui",
            "checks",
            "reconciliation",
            "enable_trading",
            "monitoring",
        ]
        assert all(s.state == "finished" and s.duration_seconds is not None for s in steps)
        assert len(history) == 1
    finally:
        connected.close()  # type: ignore[attr-defined]

    assert qm_run(local_repo, "plan", "local", "--detailed-exitcode").returncode == 0
    again = qm_run(local_repo, "apply", "local", "--yes")
    assert again.returncode == 0 and "in sync, nothing to change" in again.stdout
    history, connected = _records(local_repo)
    try:
        assert len(history) == 1  # a no-op is not a deployment...
        checks = list_check_results(connected.store, "local")  # type: ignore[attr-defined]
        assert [c.name for c in checks if c.deployment_id is None] == ["reconcile.no_op"]  # ...but it is recorded
    finally:
        connected.close()  # type: ignore[attr-defined]


def test_a_second_apply_exits_3_naming_the_holder(local_repo: Path, qm_run: Run) -> None:
    with acquire_apply_lock(local_repo.resolve(), "local", this_process("apply", datetime.now(UTC))):
        blocked = qm_run(local_repo, "apply", "local", "--yes")
    assert blocked.returncode == ExitCode.UNAVAILABLE
    assert (
        "another apply of environment 'local' is running" in blocked.stderr and "qm apply local pid=" in blocked.stderr
    )
    assert not (local_repo / ".qm" / "local" / "api.json").exists()  # nothing was started


def test_without_yes_and_without_a_terminal_the_apply_is_refused(local_repo: Path, qm_run: Run) -> None:
    refused = qm_run(local_repo, "apply", "local")
    assert refused.returncode == ExitCode.VIOLATIONS
    assert "Deploy api 3.3.1" in refused.stdout and "no terminal to confirm on" in refused.stderr
    assert not (local_repo / ".qm" / "local" / "api.json").exists()


def test_an_operator_halt_outlives_an_apply_and_only_resume_clears_it(local_repo: Path) -> None:
    _apply(local_repo)
    connected = connect(load(local_repo), "local", local_repo)
    try:
        halt(connected, "broker acting up", datetime.now(UTC), by="ops.maria")
    finally:
        connected.close()
    # a configuration change: the apply reconfigures and re-validates, but never enables trading
    local = local_repo / "environments" / "local.yaml"
    local.write_text(local.read_text().replace("max_daily_loss: 250", "max_daily_loss: 200"))
    result = _apply(local_repo)
    assert "configuration" in [s.id for s in result.plan.steps] and "enable_trading" not in [
        s.id for s in result.plan.steps
    ]  # type: ignore[attr-defined]
    assert _trading(local_repo) is TradingState.HALTED
    assert compute_plan(
        load(local_repo), connect(load(local_repo), "local", local_repo)
    ).in_sync  # halted is what is desired now
    connected = connect(load(local_repo), "local", local_repo)
    try:
        lines = resume(connected, datetime.now(UTC), by="ops.maria").lines
    finally:
        connected.close()
    assert any("checks passed" in line for line in lines)
    assert _trading(local_repo) is TradingState.ACTIVE


def test_resume_is_refused_while_a_safety_check_fails(local_repo: Path, qm_run: Run) -> None:
    _apply(local_repo)
    assert qm_run(local_repo, "halt", "local", "--reason", "drill").returncode == 0
    connected = connect(load(local_repo), "local", local_repo)
    ui = connected.driver.observe("ui").endpoint
    connected.close()
    assert qm_run(local_repo, "sandbox", "fault", str(ui), "wrong_mode=live").returncode == 0
    refused = qm_run(local_repo, "resume", "local")
    assert refused.returncode == ExitCode.VIOLATIONS and "safety.mode_displayed" in refused.stderr
    assert _trading(local_repo) is TradingState.HALTED


def test_a_failed_step_halts_restores_and_records_an_incident(local_repo: Path, qm_run: Run) -> None:
    failed = qm_run(local_repo, "apply", "local", "--yes", failpoints="step.after_deploy.workers=error")
    assert failed.returncode == ExitCode.DEPLOY_FAILED, failed.stdout + failed.stderr
    assert "step deploy.workers failed" in failed.stderr and "trading HALTED" in failed.stderr
    assert _trading(local_repo) is TradingState.HALTED
    history, connected = _records(local_repo)
    try:
        (record,) = history
        assert record.status == "failed" and record.incidents and record.incidents[0].kind == "deployment_failed"
        assert "deploy.workers" in record.incidents[0].summary
        assert len(list_incidents(connected.store, "local")) == 1  # type: ignore[attr-defined]
    finally:
        connected.close()  # type: ignore[attr-defined]
    # the next apply starts a new deployment (the failed one is final) and converges
    again = qm_run(local_repo, "apply", "local", "--yes")
    assert again.returncode == 0, again.stderr
    assert _trading(local_repo) is TradingState.ACTIVE


def test_outside_a_configured_window_the_apply_is_refused_and_break_glass_is_recorded(
    local_repo: Path, qm_run: Run
) -> None:
    local = local_repo / "environments" / "local.yaml"
    local.write_text(
        local.read_text()
        + "  deploy_window:\n    calendar: XNYS\n    freeze:\n      - {start: 2000-01-01, end: 2099-12-31, reason: test freeze}\n"
    )
    refused = qm_run(local_repo, "apply", "local", "--yes")
    assert (
        refused.returncode == ExitCode.VIOLATIONS
        and "deploy window closed" in refused.stderr
        and "--break-glass" in refused.stderr
    )
    assert not (local_repo / ".qm" / "local" / "api.json").exists()
    forced = qm_run(local_repo, "apply", "local", "--yes", "--break-glass", "hotfix INC-42")
    assert forced.returncode == 0, forced.stderr
    history, connected = _records(local_repo)
    try:
        (record,) = history
        assert record.break_glass_reason == "hotfix INC-42"
        assert [i.kind for i in record.incidents] == ["break_glass"]
    finally:
        connected.close()  # type: ignore[attr-defined]


def test_readiness_refuses_before_the_operator_is_asked_to_confirm(local_repo: Path, qm_run: Run) -> None:
    """A closed window (or a failing gate, or live without evidence) refuses at once: the
    operator is not asked to confirm, or to type live's name, for an apply that cannot run."""
    local = local_repo / "environments" / "local.yaml"
    local.write_text(
        local.read_text()
        + "  deploy_window:\n    calendar: XNYS\n    freeze:\n      - {start: 2000-01-01, end: 2099-12-31, reason: test freeze}\n"
    )
    refused = qm_run(local_repo, "apply", "local")  # no --yes, no terminal
    assert refused.returncode == ExitCode.VIOLATIONS
    assert "deploy window closed" in refused.stderr and "no terminal to confirm on" not in refused.stderr
    assert "Deploy api" not in refused.stdout  # the plan was not put up for confirmation
    assert not (local_repo / ".qm" / "local" / "api.json").exists()


def test_a_failed_upgrade_restores_the_previous_release_services(local_repo: Path, qm_run: Run) -> None:
    local = local_repo / "environments" / "local.yaml"
    upgraded = local.read_text()
    assert qm_run(local_repo, "promote", "2026.11.0", "--to", "local", ".").returncode == 0
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    local.write_text(upgraded)  # back to 2026.11.1: api 3.3.0 → 3.3.1, workers 3.3.0 → 3.3.2
    failed = qm_run(local_repo, "apply", "local", "--yes", failpoints="step.after_deploy.workers=error")
    assert failed.returncode == ExitCode.DEPLOY_FAILED, failed.stderr
    lines = failed.stderr.splitlines()
    assert "step deploy.workers failed" in lines[0] and "trading REDUCING → HALTED" in lines[1]
    assert any("restored workers 3.3.0 healthy" in line for line in lines) and any(
        "restored api 3.3.0 healthy" in line for line in lines
    )
    assert any("state left: rolled back to 2026.11.0 services, trading HALTED" in line for line in lines)
    assert any(line.endswith("checks pass") and "after restoring" in line for line in lines)  # judged against 2026.11.0
    connected = connect(load(local_repo), "local", local_repo, create=False)
    try:
        assert {c: connected.driver.observe(c).version for c in ("api", "workers", "ui")} == {
            "api": "3.3.0",
            "workers": "3.3.0",
            "ui": "2.8.0",
        }
        latest = deployment_history(connected.store, "local")[0]  # type: ignore[arg-type]
        assert latest.release == "2026.11.1" and latest.status == "rolled_back" and latest.rollback_used
        assert latest.previous_release == "2026.11.0"
    finally:
        connected.close()
    assert _trading(local_repo) is TradingState.HALTED


def test_a_lying_service_fails_the_checks_fires_a_rollback_trigger_and_halts(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    connected = connect(load(local_repo), "local", local_repo)
    ui = connected.driver.observe("ui").endpoint
    connected.close()
    assert qm_run(local_repo, "sandbox", "fault", str(ui), "wrong_mode=live").returncode == 0  # the UI now claims LIVE
    local = local_repo / "environments" / "local.yaml"
    local.write_text(local.read_text().replace("max_daily_loss: 250", "max_daily_loss: 200"))
    failed = qm_run(local_repo, "apply", "local", "--yes")
    assert failed.returncode == ExitCode.DEPLOY_FAILED, failed.stderr
    assert "step checks failed" in failed.stderr and "safety.mode_displayed" in failed.stderr
    assert "operator_controls_missing_or_misleading" in failed.stderr  # guide §13 trigger
    assert "trading HALTED" in failed.stderr
    assert _trading(local_repo) is TradingState.HALTED  # not re-enabled over a lying UI
    history, connected2 = _records(local_repo)
    try:
        latest = history[0]  # type: ignore[index]
        assert latest.status == "failed" and any(
            not c.passed and c.name == "safety.mode_displayed" for c in latest.validation
        )
    finally:
        connected2.close()  # type: ignore[attr-defined]
