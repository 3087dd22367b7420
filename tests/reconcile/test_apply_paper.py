"""A paper-like environment end to end on the real services: the state store and the trading
schema in a PostgreSQL database of its own, the control keys in Redis under a prefix of its
own (mirroring the store), the sandbox platform on free ports, the PostgreSQL advisory lock.

Paper normally runs Kubernetes through the command driver (QM-RUN-002 refuses the sandbox
for paper); here the copy of the repository runs the sandbox under an expiring waiver, which
is how such an exception is made on purpose."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from quantmatrix.errors import ExitCode
from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.lock import acquire_apply_lock, this_process
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store.deployments import deployment_history

Run = Callable[..., subprocess.CompletedProcess[str]]


def _redis_trading(redis_server: Any, prefix: str) -> dict[str, Any]:
    raw = redis_server.get(f"{prefix}trading")
    assert raw is not None
    return dict(json.loads(raw))


def test_paper_applies_on_postgresql_and_redis(
    paper_repo: tuple[Path, str, str], redis_server: Any, qm_run: Run
) -> None:
    repo, url, prefix = paper_repo
    done = qm_run(repo, "apply", "paper", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deployment dep-paper-2026.11.1-1 succeeded" in done.stdout
    # the sandbox obeys the Redis mirror of the store; both say ACTIVE, with the same version
    assert _redis_trading(redis_server, prefix)["state"] == "ACTIVE"
    connected = connect(load(repo), "paper", repo, create=False)
    try:
        assert connected.store is not None and connected.store.dialect == "postgresql"
        (record,) = deployment_history(connected.store, "paper")
        assert record.status == "succeeded" and record.operator == "dana.ops" or record.operator is None
        assert {c.name for c in record.validation} >= {
            "health.redis",
            "health.postgres",
            "safety.mode_displayed",
            "safety.reconciliation",
        }
        assert all(c.passed for c in record.validation)
        with connected.store.begin() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar_one()
                == "0002_fills_exec_time_idx"
            )
            assert (
                conn.execute(
                    text("SELECT count(*) FROM qm_control.qm_trading_state_history WHERE environment = 'paper'")
                ).scalar_one()
                >= 2
            )
        # paper paused to REDUCING (not HALTED) before the first service changed
        from quantmatrix.runtime.store.events import trading_history

        states = [row["trading"] for row in trading_history(connected.store, "paper")]
        assert states[0] == "REDUCING" and states[-1] == "ACTIVE" and "HALTED" not in states
    finally:
        connected.close()
    status = json.loads(qm_run(repo, "status", "paper", "--format", "json").stdout)
    assert status["in_sync"] is True and status["trading"]["state"] == "ACTIVE" and status["mode"] == "paper"


def test_a_second_paper_apply_exits_3_naming_the_postgresql_holder(
    paper_repo: tuple[Path, str, str], qm_run: Run
) -> None:
    repo, url, _prefix = paper_repo
    with acquire_apply_lock(url, "paper", this_process("apply", datetime.now(UTC))):
        blocked = qm_run(repo, "apply", "paper", "--yes")
    assert blocked.returncode == ExitCode.UNAVAILABLE, blocked.stderr
    assert "the lock is held by 'qm apply paper pid=" in blocked.stderr and "(PostgreSQL backend" in blocked.stderr
    assert url.split("@")[0] not in blocked.stderr or "postgres@" in url  # no password to leak in the test URL


def test_redis_lost_keys_are_not_trading_and_the_next_apply_rewrites_them(
    paper_repo: tuple[Path, str, str], redis_server: Any, qm_run: Run
) -> None:
    repo, _url, prefix = paper_repo
    assert qm_run(repo, "apply", "paper", "--yes").returncode == 0
    redis_server.delete(f"{prefix}trading")  # a wiped mirror: readers fail closed
    status = json.loads(qm_run(repo, "status", "paper", "--format", "json").stdout)
    assert status["trading"]["state"] is None and status["in_sync"] is False
    assert any(d["subject"] == "trading" for d in status["drift"])
    again = qm_run(repo, "apply", "paper", "--yes")
    assert again.returncode == 0, again.stderr
    assert _redis_trading(redis_server, prefix)["state"] == "ACTIVE"
