"""The loop outlives its services: Redis stopped and started again empty, PostgreSQL sessions
killed, the store unreachable, a sandbox component killed. While blind it never enables
trading; afterwards it recovers by itself, through the apply path's checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from quantmatrix.reconcile.connect import connect
from quantmatrix.repo.loader import load
from quantmatrix.runtime.drivers.process import ProcessState
from quantmatrix.runtime.store.events import trading_history

from .conftest import PaperEnv, free_port, wait_for  # type: ignore[import-not-found]


def _trading(env: PaperEnv) -> Any:
    try:
        raw = env.client.get(f"{env.prefix}trading")
    except Exception:  # noqa: BLE001 - Redis down
        return "unreadable"
    return None if raw is None else json.loads(raw)["state"]


def _history(env: PaperEnv) -> list[dict[str, Any]]:
    connected = connect(load(env.repo), "paper", env.repo, create=False)
    try:
        assert connected.store is not None
        return trading_history(connected.store, "paper")
    finally:
        connected.close()


def test_redis_outage_degrades_then_recovers_through_the_checks(
    paper_env: PaperEnv, start_loop: Callable[..., Any]
) -> None:
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: loop.in_sync() and _trading(paper_env) == "ACTIVE", 120)
    writes_before = len(_history(paper_env))
    paper_env.redis.stop()
    wait_for(lambda: any(a[0] == "paper" for a in loop.events.of("degraded")), 10)
    time.sleep(1.5)  # blind for a while: passes keep failing, nothing is written
    assert len(_history(paper_env)) == writes_before  # no trading change (above all no ACTIVE) while blind
    paper_env.redis.start()  # back, and empty (no persistence): every control key is gone
    wait_for(lambda: any(a[0] == "paper" for a in loop.events.of("recovered")), 90)
    assert _trading(paper_env) == "ACTIVE"
    after = [row["trading"] for row in _history(paper_env)[writes_before:]]
    # rebuilt through the apply path: paused first, ACTIVE only after its checks passed
    assert after[0] in ("REDUCING", "HALTED") and after[-1] == "ACTIVE", after
    assert any(d[2] == "succeeded" for d in loop.events.of("deployment"))
    loop.stop()


def test_postgresql_sessions_killed_the_loop_reconnects_and_still_heals(
    paper_env: PaperEnv, start_loop: Callable[..., Any], pg_admin: Any
) -> None:
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: loop.in_sync(), 120)
    database = paper_env.url.rsplit("/", 1)[1]
    with pg_admin.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": database},
        ).scalar_one()
    assert killed >= 1
    wait_for(
        lambda: sum(1 for a in loop.events.of("ownership") if a == ("paper", True)) >= 2, 20
    )  # lost, then owned again
    limits = json.loads(paper_env.client.get(f"{paper_env.prefix}risk_limits"))
    paper_env.client.set(f"{paper_env.prefix}risk_limits", json.dumps({**limits, "max_order_notional": 1}))
    wait_for(
        lambda: json.loads(paper_env.client.get(f"{paper_env.prefix}risk_limits"))["max_order_notional"] == 10000, 15
    )
    loop.stop()


def test_a_killed_sandbox_component_is_redeployed_with_trading_paused_meanwhile(
    paper_env: PaperEnv, start_loop: Callable[..., Any]
) -> None:
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: loop.in_sync() and _trading(paper_env) == "ACTIVE", 120)
    state = ProcessState.model_validate_json((paper_env.repo / ".qm" / "paper" / "api.json").read_bytes())
    writes_before = len(_history(paper_env))
    os.kill(state.pid, signal.SIGKILL)
    wait_for(lambda: len(_history(paper_env)) >= writes_before + 2 and _trading(paper_env) == "ACTIVE", 60)
    loop.stop()
    after = [row["trading"] for row in _history(paper_env)[writes_before:]]
    assert after[0] == "REDUCING" and after[-1] == "ACTIVE", after
    again = ProcessState.model_validate_json((paper_env.repo / ".qm" / "paper" / "api.json").read_bytes())
    assert again.pid != state.pid


def test_an_unreachable_store_exits_3_without_its_password(paper_env: PaperEnv) -> None:
    closed = free_port()
    env = {
        **os.environ,
        "QM_PAPER_POSTGRES_URL": f"postgresql+psycopg://qm:pw-not-to-show@127.0.0.1:{closed}/x",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "quantmatrix", "reconcile", "paper", "--once", "--path", str(paper_env.repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "paper: unavailable" in done.stdout
    assert "pw-not-to-show" not in done.stdout + done.stderr and "Traceback" not in done.stderr
