"""kill -9 at every step boundary (failpoints: the process `os._exit`s, no cleanup), then
apply again: it resumes the same deployment, converges, never runs a migration twice, never
leaves trading ACTIVE on versions it has not validated, and keeps the interrupted record."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.failpoints import CRASH_EXIT
from quantmatrix.repo.loader import load
from quantmatrix.runtime.controlstate import ControlUnavailable, TradingState
from quantmatrix.runtime.store.deployments import deployment_history
from quantmatrix.runtime.store.journal import journal_steps

Run = Callable[..., subprocess.CompletedProcess[str]]

# Each run gets one step further, then dies: every boundary is crossed by a crash once, and
# all but the first crash happen inside a resumed apply.
CRASHES = (
    "step.after_readiness",
    "step.after_pause_trading",
    "step.after_configuration",
    "step.before_migrations",
    "step.after_migrations",
    "step.after_deploy.api",
    "step.after_deploy.workers",
    "step.after_deploy.ui",
    "step.after_checks",
    "step.after_reconciliation",
    "step.after_enable_trading",
    "step.after_monitoring",
)
VALIDATED = ("step.after_enable_trading", "step.after_monitoring")  # trading may be ACTIVE after these


def _observe(repo: Path) -> tuple[list[object], TradingState | None, list[object], list[tuple[str]]]:
    connected = connect(load(repo), "local", repo, create=False)
    try:
        assert connected.store is not None and connected.control is not None
        history = deployment_history(connected.store, "local")
        try:
            trading: TradingState | None = connected.control.read().trading
        except ControlUnavailable:
            trading = None
        journal = journal_steps(connected.store, history[0].id) if history else []
        with connected.store.begin() as conn:
            migrated = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'")
            ).scalar_one()
            versions = (
                [tuple(row) for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
                if migrated
                else []
            )
        return list(history), trading, list(journal), versions
    finally:
        connected.close()


def test_a_crash_at_every_step_boundary_resumes_and_converges(local_repo: Path, qm_run: Run) -> None:
    deployment_id = None
    for point in CRASHES:
        crashed = qm_run(local_repo, "apply", "local", "--yes", failpoints=f"{point}=crash")
        assert crashed.returncode == CRASH_EXIT, (point, crashed.stdout, crashed.stderr)
        history, trading, journal, _ = _observe(local_repo)
        assert len(history) == 1, point  # one deployment, resumed each time, never a second record
        record = history[0]
        assert record.status == "running", point  # type: ignore[attr-defined]
        deployment_id = deployment_id or record.id  # type: ignore[attr-defined]
        assert record.id == deployment_id  # type: ignore[attr-defined]
        if point not in VALIDATED:
            assert trading is not TradingState.ACTIVE, (point, trading)
        assert [s.step for s in journal].count("migrations") <= 1  # type: ignore[attr-defined]

    done = qm_run(local_repo, "apply", "local", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    history, trading, journal, versions = _observe(local_repo)
    (record,) = history
    assert record.id == deployment_id and record.status == "succeeded"  # type: ignore[attr-defined]
    assert trading is TradingState.ACTIVE
    assert versions == [("0002_fills_exec_time_idx",)]
    steps = [(s.step, s.state) for s in journal]  # type: ignore[attr-defined]
    # the migration ran in exactly one journaled attempt: the crash after it left the row
    # `started`, the resume closed it as interrupted and found the schema already there
    assert [s for s in steps if s[0].startswith("migrations")] == [("migrations", "failed")]
    assert any(s.detail.startswith("interrupted") for s in journal if s.step == "migrations")  # type: ignore[attr-defined]
    for component in ("deploy.api", "deploy.workers", "deploy.ui"):
        assert [s for s in steps if s[0].startswith(component)] == [
            (component, "failed")
        ]  # deployed once, crash after: closed
    assert ("monitoring", "failed") in steps, steps
    assert any(s[0].startswith("monitoring#") and s[1] == "finished" for s in steps)
    assert qm_run(local_repo, "plan", "local", "--detailed-exitcode").returncode == 0


def test_a_crash_before_the_first_change_leaves_nothing_trading(local_repo: Path, qm_run: Run) -> None:
    crashed = qm_run(local_repo, "apply", "local", "--yes", failpoints="step.before_deploy.api=crash")
    assert crashed.returncode == CRASH_EXIT
    _, trading, journal, versions = _observe(local_repo)
    assert trading is TradingState.REDUCING and versions == [("0002_fills_exec_time_idx",)]
    assert [s.step for s in journal][-1] == "migrations"  # type: ignore[attr-defined]
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    assert _observe(local_repo)[1] is TradingState.ACTIVE
