"""What the state store and the control keys cost an apply: prints figures, asserts nothing.

    .venv/bin/python bench/store_control_bench.py [--runs 50] [--postgres URL] [--redis URL]

- opening the store: a fresh SQLite file (control chain applied) and reopening it (no-op);
- the trading migrations 0001 -> 0002 on a fresh SQLite file;
- a control write (the whole state, version + 1) and read: store only (local), Redis only,
  and Redis mirroring PostgreSQL (paper, live);
- `set_trading` (a halt): read-modify-write on the same three;
- journal start + finish of one step.
Budgets they come out of (issue 10): a no-op apply <= 0.5 s as a whole process; trading paused
<= 5 s for an upgrade without migration. PostgreSQL/Redis parts are skipped if unreachable.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timing import median_ms  # noqa: E402
from quantmatrix.repo.loader import load  # noqa: E402
from quantmatrix.runtime.control import (  # noqa: E402
    ControlPlane,
    TradingState,
    control_from_environment,
    redis_control,
    store_control,
)
from quantmatrix.runtime.store import journal_finish, journal_start, open_store, start_deployment  # noqa: E402
from quantmatrix.runtime.store.trading_schema import migrations_dir, upgrade_schema  # noqa: E402


def once_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def control_figures(name: str, control: ControlPlane, runs: int) -> None:
    paper = load(ROOT).environments["paper"]
    state = control_from_environment(
        paper, trading=TradingState.HALTED, reason="bench", changed_by="bench", now=datetime.now(UTC)
    )
    control.write(state)
    print(
        f"  {name:<28} write {median_ms(lambda: control.write(state), runs):7.2f} ms   "
        f"read {median_ms(control.read, runs):6.2f} ms   "
        f"set_trading {median_ms(lambda: control.set_trading(TradingState.HALTED, 'bench', 'bench'), runs):6.2f} ms"
    )


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench.args` when run as a script
    from bench.args import positive_int

    parser = argparse.ArgumentParser(prog="bench/store_control_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive_int, default=50, help="timed runs of each step")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL for the store",
    )
    parser.add_argument("--redis", metavar="URL", default="redis://127.0.0.1:6379/0", help="Redis for the control keys")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/.qm/state.db"
        print(f"open store, fresh SQLite (control chain)   {once_ms(lambda: open_store(url)):7.1f} ms")
        print(f"open store, existing SQLite (no-op)        {median_ms(lambda: open_store(url).close(), 10):7.1f} ms")
        store = open_store(url)
        print(
            f"trading migrations 0001 -> 0002, SQLite    {once_ms(lambda: upgrade_schema(store, migrations_dir(ROOT), '0002_fills_exec_time_idx')):7.1f} ms"
        )
        dep = start_deployment(store, "local", "2026.11.1")
        steps = iter(range(10**6))
        print(
            f"journal start + finish, SQLite             {median_ms(lambda: (s := f'step{next(steps)}', journal_start(store, dep, s), journal_finish(store, dep, s)), args.runs):7.2f} ms"
        )
        print("control state (median of", args.runs, "runs):")
        control_figures("store only (SQLite)", store_control(store, "paper"), args.runs)
    try:
        import redis

        client = redis.Redis.from_url(args.redis, socket_connect_timeout=2)
        client.ping()
    except Exception as error:  # noqa: BLE001 - a bench reports and moves on
        print(f"  Redis skipped: {type(error).__name__}")
        return
    prefix = f"qmbench:{secrets.token_hex(4)}:"
    try:
        control_figures("Redis only", redis_control(client, prefix), args.runs)
        try:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
            name = f"qm_bench_{secrets.token_hex(4)}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:  # noqa: BLE001
            print(f"  PostgreSQL skipped: {type(error).__name__}")
            return
        try:
            pg = open_store(make_url(args.postgres).set(database=name).render_as_string(hide_password=False))
            control_figures("Redis mirroring PostgreSQL", redis_control(client, prefix, pg, "paper"), args.runs)
            control_figures("store only (PostgreSQL)", store_control(pg, "paper"), args.runs)
            pg.close()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
