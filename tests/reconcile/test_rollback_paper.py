"""`qm rollback` on a paper-like environment (tests/reconcile/conftest.py `paper_repo`: the
state store and the trading schema in PostgreSQL, the control keys in Redis, the sandbox
platform): a schema reversal declared reversible, one that is not, and a kill -9 in the
middle of the reversal's alembic downgrade and just after it.

Every committed drop of the index that 0002's downgrade removes is written to a table by a
PostgreSQL event trigger (`sql_drop`): a downgrade rolled back by a crash leaves no row, so
the table counts how many times the reversal really happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from quantmatrix.errors import ExitCode
from quantmatrix.reconcile.connect import connect
from quantmatrix.repo.loader import load
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.store.deployments import DeploymentRecord, deployment_history
from quantmatrix.runtime.store.events import trading_history
from quantmatrix.runtime.store.journal import StepRecord, journal_steps

from .conftest import wait_until

Run = Callable[..., subprocess.CompletedProcess[str]]
INDEX = "public.ix_fills_exec_time"  # created by 0002_fills_exec_time_idx, dropped by its downgrade

DROP_LOG = """
CREATE TABLE qm_test_drops (id serial PRIMARY KEY, object_identity text NOT NULL);
CREATE FUNCTION qm_test_log_drops() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE dropped record;
BEGIN
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE object_type = 'index' LOOP
    INSERT INTO qm_test_drops (object_identity) VALUES (dropped.object_identity);
  END LOOP;
END $$;
CREATE EVENT TRIGGER qm_test_log_drops ON sql_drop EXECUTE FUNCTION qm_test_log_drops();
"""


@pytest.fixture
def database(paper_repo: tuple[Path, str, str]) -> Iterator[Engine]:
    engine = create_engine(paper_repo[1], poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _schema(database: Engine) -> tuple[str, bool, list[str]]:
    """(alembic revision, whether the index exists, the drops committed since the log was installed)."""
    with database.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar_one()
        index = conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": INDEX}).scalar_one()
        drops = conn.execute(text("SELECT object_identity FROM qm_test_drops ORDER BY id")).scalars().all()
    return revision, bool(index), list(drops)


def _log_drops(database: Engine) -> None:
    with database.begin() as conn:
        conn.execute(text(DROP_LOG))


def _observe(repo: Path) -> tuple[dict[str, str | None], TradingState | None, list[DeploymentRecord], list[str]]:
    """(component versions, trading state, deployments newest first, trading states in order)."""
    connected = connect(load(repo), "paper", repo, create=False)
    try:
        assert connected.control is not None and connected.store is not None
        versions = {c: connected.driver.observe(c).version for c in ("api", "workers", "ui")}
        states = [row["trading"] for row in trading_history(connected.store, "paper")]
        return versions, connected.control.read().trading, deployment_history(connected.store, "paper"), states
    finally:
        connected.close()


def _journal(repo: Path, deployment_id: str) -> list[StepRecord]:
    connected = connect(load(repo), "paper", repo, create=False)
    try:
        assert connected.store is not None
        return journal_steps(connected.store, deployment_id)
    finally:
        connected.close()


def _applied_11_0(repo: Path, database: Engine, qm_run: Run) -> None:
    """Paper pinned to and running 2026.11.0 (schema 0002), the drop log installed after."""
    pinned = qm_run(repo, "promote", "2026.11.0", "--to", "paper", ".")  # the pin and the versions it implies
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    done = qm_run(repo, "apply", "paper", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    _log_drops(database)
    assert _schema(database) == ("0002_fills_exec_time_idx", True, [])


def test_a_rollback_reverses_migrations_declared_reversible(
    paper_repo: tuple[Path, str, str], database: Engine, qm_run: Run
) -> None:
    repo = paper_repo[0]
    _applied_11_0(repo, database, qm_run)
    trading_before = len(_observe(repo)[3])
    done = qm_run(repo, "rollback", "paper", "--yes", "--reason", "fills index slows the EOD job INC-9")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migrations: schema 0002_fills_exec_time_idx → 0001_baseline (reversed by alembic downgrade" in done.stdout
    assert _schema(database) == ("0001_baseline", False, [INDEX])  # reversed exactly once
    versions, trading, history, states = _observe(repo)
    assert versions == {"api": "3.2.0", "workers": "3.2.0", "ui": "2.7.1"}  # 2026.10.0's
    assert trading is TradingState.ACTIVE
    record = history[0]
    assert record.release == "2026.10.0" and record.status == "succeeded" and record.rollback_of == "2026.11.0"
    assert record.migration_changes == ("0002_fills_exec_time_idx reversed (alembic downgrade to 0001_baseline)",)
    assert "migrations reversed: 0002_fills_exec_time_idx" in record.summary and "INC-9" in record.summary
    steps = [s.step for s in _journal(repo, record.id) if s.state == "finished"]
    # trading paused (paper: REDUCING) before the schema changed, ACTIVE only after the checks
    assert steps.index("pause_trading") < steps.index("migrations") < steps.index("deploy.api")
    assert steps.index("reconciliation") < steps.index("enable_trading")
    assert states[trading_before:] == ["REDUCING", "ACTIVE"]


def test_a_rollback_over_migrations_not_declared_reversible_is_refused(
    paper_repo: tuple[Path, str, str], database: Engine, qm_run: Run
) -> None:
    repo = paper_repo[0]
    assert qm_run(repo, "apply", "paper", "--yes").returncode == 0  # 2026.11.1: no database.reversible
    _log_drops(database)
    before = _observe(repo)
    refused = qm_run(repo, "rollback", "paper", "--to", "2026.10.0", "--yes")
    assert refused.returncode == ExitCode.VIOLATIONS, refused.stdout + refused.stderr
    assert "needs schema 0001_baseline but it is at 0002_fills_exec_time_idx" in refused.stderr
    assert "2026.11.1 does not declare them reversible" in refused.stderr
    assert "do not roll back blindly" in refused.stderr
    assert _schema(database) == ("0002_fills_exec_time_idx", True, [])
    after = _observe(repo)
    assert after[0] == before[0] and after[1] is TradingState.ACTIVE and len(after[2]) == len(before[2]) == 1


def _downgrade_backend(database: Engine) -> int | None:
    """The pid of the backend running 0002's downgrade (its DROP INDEX), if any."""
    with database.connect() as conn:
        pid = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND query ILIKE '%DROP INDEX%ix_fills_exec_time%' AND pid <> pg_backend_pid()"
            )
        ).scalar()
    return int(pid) if pid is not None else None


def test_kill_9_inside_the_downgrade_then_rollback_again_reverses_once(
    paper_repo: tuple[Path, str, str], database: Engine, redis_server: Any, qm_run: Run
) -> None:
    repo, _url, prefix = paper_repo
    _applied_11_0(repo, database, qm_run)
    # hold the fills table so that the downgrade's DROP INDEX waits inside its transaction
    blocker = database.connect()
    holding = blocker.begin()
    blocker.execute(text("LOCK TABLE public.fills IN ACCESS EXCLUSIVE MODE"))
    env = {**os.environ, "NO_COLOR": "1", "QM_FAILPOINTS": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "quantmatrix", "rollback", "paper", "--yes"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _downgrade_backend(database) is not None or process.poll() is not None, timeout=120)
        assert process.poll() is None, "the rollback ended before reaching the downgrade"
        # trading is paused while the schema changes: the sandbox reads the Redis mirror
        assert b'"REDUCING"' in (redis_server.get(f"{prefix}trading") or b"")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        holding.rollback()
        blocker.close()
    wait_until(lambda: _downgrade_backend(database) is None, timeout=60)  # its backend aborts once the lock is free
    assert _schema(database) == ("0002_fills_exec_time_idx", True, [])  # nothing committed
    versions, trading, history, _states = _observe(repo)
    interrupted = history[0]
    assert interrupted.status == "running" and interrupted.rollback_of == "2026.11.0"
    assert trading is TradingState.REDUCING and versions["api"] == "3.3.0"
    assert [(s.step, s.state) for s in _journal(repo, interrupted.id)][-1] == ("migrations", "started")

    again = qm_run(repo, "rollback", "paper", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"resuming {interrupted.id} (interrupted in migrations)" in again.stdout
    assert _schema(database) == ("0001_baseline", False, [INDEX])  # the downgrade ran once, to completion
    journal = {s.step: s for s in _journal(repo, interrupted.id)}
    assert journal["migrations"].state == "failed" and "interrupted" in journal["migrations"].detail
    assert (
        journal["migrations#2"].state == "finished"
        and "reversed by alembic downgrade" in journal["migrations#2"].detail
    )
    versions, trading, history, _states = _observe(repo)
    assert versions["api"] == "3.2.0" and trading is TradingState.ACTIVE
    assert history[0].id == interrupted.id and history[0].status == "succeeded" and len(history) == 2


def test_kill_9_after_the_downgrade_committed_is_not_reversed_again(
    paper_repo: tuple[Path, str, str], database: Engine, qm_run: Run
) -> None:
    repo = paper_repo[0]
    _applied_11_0(repo, database, qm_run)
    crashed = qm_run(repo, "rollback", "paper", "--yes", failpoints="step.after_migrations=crash")
    assert crashed.returncode != 0
    assert _schema(database) == ("0001_baseline", False, [INDEX])  # committed before the crash
    again = qm_run(repo, "rollback", "paper", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _schema(database) == ("0001_baseline", False, [INDEX])  # not a second time
    history = _observe(repo)[2]
    steps = [(s.step, s.state) for s in _journal(repo, history[0].id)]
    assert ("migrations", "failed") in steps and not any(step.startswith("migrations#") for step, _ in steps)
    assert history[0].status == "succeeded" and history[0].migration_changes == (
        "0002_fills_exec_time_idx reversed (alembic downgrade to 0001_baseline)",
    )
