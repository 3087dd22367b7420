"""The reconcile loop's figures (issue 11): prints them, asserts nothing.

    .venv/bin/python bench/reconcile_loop_bench.py [--trials 20] [--noop-runs 50] [--failovers 5]
        [--postgres URL] [--profile]

`--profile` stops after the no-op figure and prints the SQL statements and connection
check-outs of one pass, then cProfile's 40 heaviest entries (`QM_BENCH_SORT=tottime` to sort
by own time).

Sets up a paper-like environment in a temporary directory: its own PostgreSQL database,
a private `redis-server` on a free port, the sandbox platform on free ports (paper runs it
under expiring waivers, as the tests do). Then:
- no-op pass: `EnvironmentLoop.run(full=True)` on the in-sync environment, in process (what
  the loop spends per interval when nothing changed: observe, plan, nothing to apply);
- paper drift: `qm reconcile paper` as a whole process; a risk limit changed by hand in
  Redis (no publish, no version bump) until the loop has put it back, per trial;
- live halt: the same process after the environment takes live's policy (safety → halt); a
  risk limit changed by hand until the control keys say HALTED; `qm resume` between trials;
- failover: three `qm reconcile` processes; kill -9 of the owner until another owns the
  environment (observe_interval_seconds 0.5: the others retry at each interval).
Everything started is killed by pid at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def wait(condition: Callable[[], bool], timeout: float, step: float = 0.002) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"not within {timeout}s")
        time.sleep(step)
    return time.perf_counter() - start


def paper_repo(repo: Path, prefix: str) -> None:
    for folder in ("environments", "releases", "migrations", "policies"):
        shutil.copytree(ROOT / folder, repo / folder)
    paper = repo / "environments" / "paper.yaml"
    text = paper.read_text()
    start, end = text.index("  runtime:"), text.index("    checks:")
    ports = [free_port() for _ in range(3)]
    runtime = (
        "  runtime:\n    driver: process\n    process:\n      components:\n"
        f"        api: {{port: {ports[0]}}}\n        workers: {{port: {ports[1]}}}\n        ui: {{port: {ports[2]}}}\n"
        "    reconcile: {observe_interval_seconds: 0.5}\n"
    )
    text = text[:start] + runtime + text[end:]
    text = text.replace('key_prefix: "qm:paper:"', f'key_prefix: "{prefix}"').replace(
        "    allow: market_closed\n    margin_minutes: 15\n", "    allow: any_time\n"
    )
    text = text.replace("base_url: https://paper.qm.internal/api", "base_url: http://127.0.0.1:9/api").replace(
        "url: https://paper.qm.internal", "url: http://127.0.0.1:9"
    )
    paper.write_text(text)
    expires = (date.today() + timedelta(days=30)).isoformat()
    (repo / "policies" / "waivers.yaml").write_text(
        "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n"
        + "".join(
            f"  - {{rule: QM-RUN-002, target: environments.paper.spec.runtime.process.components.{c}, reason: bench on the sandbox, approver: sam.cto, expires: {expires}}}\n"
            for c in ("api", "workers", "ui")
        )
    )
    (repo / ".gitignore").write_text(".qm/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bench")


def summary(name: str, seconds: list[float], target: str) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[max(0, int(round(0.95 * len(ms))) - 1)]
    print(
        f"{name:<34} n={len(ms):<3} median {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms   target {target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--noop-runs", type=int, default=50)
    parser.add_argument("--failovers", type=int, default=5)
    parser.add_argument(
        "--profile", action="store_true", help="Print where a no-op pass spends its time, and stop there."
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()

    import redis
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    database = f"qm_bench_{secrets.token_hex(5)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(args.postgres).set(database=database).render_as_string(hide_password=False)
    redis_port = free_port()
    redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    tmp = Path(tempfile.mkdtemp(prefix="qm-loop-bench-"))
    repo = tmp / "repo"
    prefix = f"qmbench:{secrets.token_hex(3)}:"
    paper_repo(repo, prefix)
    os.environ.update(
        {"QM_PAPER_POSTGRES_URL": url, "QM_PAPER_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "NO_COLOR": "1"}
    )
    client = redis.Redis(port=redis_port)
    wait(lambda: _pings(client), 10, 0.05)
    processes: list[subprocess.Popen[bytes]] = []

    def reconciler() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "quantmatrix",
                "reconcile",
                "paper",
                "--path",
                str(repo),
                "--interval",
                "3600",
                "--log-level",
                os.environ.get("QM_BENCH_LOG_LEVEL", "ERROR"),
            ],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "reconcile.log", "a"),
        )
        processes.append(process)
        return process

    def limit(name: str) -> object:
        raw = client.get(f"{prefix}risk_limits")
        return None if raw is None else json.loads(raw)[name]

    def trading() -> object:
        raw = client.get(f"{prefix}trading")
        return None if raw is None else json.loads(raw)["state"]

    from quantmatrix.reconcile.ownership import NAMESPACE

    engine = create_engine(url)

    def owners() -> list[int]:
        with engine.connect() as conn:
            names = (
                conn.execute(
                    text(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = CAST(:ns AS oid) AND l.objsubid = 2"
                    ),
                    {"ns": NAMESPACE},
                )
                .scalars()
                .all()
            )
        return [int(n.rsplit("pid=", 1)[1]) for n in names if "pid=" in n]

    def settled(config_version: object = None) -> None:
        """One reconciler owns paper, its first pass is over, trading ACTIVE (at `config_version`)."""
        wait(lambda: len(owners()) == 1, 60, 0.05)
        wait(
            lambda: (
                trading() == "ACTIVE"
                and (config_version is None or client.get(f"{prefix}config_version") != config_version)
            ),
            120,
            0.05,
        )
        time.sleep(1.0)

    def hand_edit(name: str, value: int) -> None:
        limits = json.loads(client.get(f"{prefix}risk_limits"))
        client.set(f"{prefix}risk_limits", json.dumps({**limits, name: value}))

    try:
        from quantmatrix.reconcile.loop import LoopOptions, Reconciler

        # -- no-op pass, in process ---------------------------------------------------------
        loop = Reconciler(LoopOptions(environments=("paper",), path=repo, interval=3600))
        loop.refresh()
        assert loop.desired is not None
        env_loop = loop._loop("paper")
        first = env_loop.run(loop.desired, full=True)
        print(f"first pass (a deployment from scratch): {first}")
        durations = []
        for _ in range(args.noop_runs):
            start = time.perf_counter()
            result = env_loop.run(loop.desired, full=True)
            durations.append(time.perf_counter() - start)
            assert result == "in_sync", result
        summary("no-op pass (in sync)", durations, "≤ 50 ms")
        if args.profile:
            import cProfile
            import pstats

            from sqlalchemy import event
            from sqlalchemy.engine import Engine
            from sqlalchemy.pool import Pool

            statements: list[str] = []
            checkouts: list[int] = []
            event.listen(Engine, "before_cursor_execute", lambda *a: statements.append(" ".join(a[2].split())[:100]))
            event.listen(Pool, "checkout", lambda *a: checkouts.append(1))
            env_loop.run(loop.desired, full=True)
            print(f"one pass: {len(statements)} SQL statements, {len(checkouts)} connection check-outs (pre-pinged)")
            for statement in statements:
                print(f"  {statement}")

            profile = cProfile.Profile()
            profile.runcall(lambda: [env_loop.run(loop.desired, full=True) for _ in range(10)])  # type: ignore[arg-type]
            pstats.Stats(profile).sort_stats(os.environ.get("QM_BENCH_SORT", "cumulative")).print_stats(40)
            return
        loop.shutdown()

        # -- paper drift corrected, whole process -------------------------------------------------
        reconciler()
        settled()
        seconds = []
        for trial in range(args.trials):
            hand_edit("max_order_notional", 900000 + trial)
            seconds.append(wait(lambda: limit("max_order_notional") == 10000, 10))
            time.sleep(0.2)
        summary("paper: hand edit → corrected", seconds, "p95 ≤ 1 s")

        # -- live's policy: hand edit → HALTED -------------------------------------------------------
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        paper = repo / "environments" / "paper.yaml"
        paper.write_text(
            paper.read_text().replace(
                "reconcile: {observe_interval_seconds: 0.5}",
                "reconcile: {observe_interval_seconds: 0.5, self_heal: {safety: halt, config: report}}",
            )
        )
        git(repo, "commit", "-qam", "live's policy")
        old_config = client.get(f"{prefix}config_version")
        reconciler()
        settled(old_config)  # the new configuration (self_heal is part of it) applied
        from quantmatrix.reconcile.connect import connect
        from quantmatrix.reconcile.operate import resume
        from quantmatrix.repo.loader import load

        halts = []
        for trial in range(args.trials):
            wait(lambda: trading() == "ACTIVE" and limit("max_daily_loss") == 5000, 30, 0.02)
            time.sleep(0.3)
            hand_edit("max_daily_loss", 10**8 + trial)
            halts.append(wait(lambda: trading() == "HALTED", 10))
            connected = connect(load(repo), "paper", repo, create=False)
            try:
                resume(connected, datetime.now(UTC), by="bench")
            finally:
                connected.close()
        summary("live policy: hand edit → HALTED", halts, "p95 ≤ 1 s")

        # -- failover -------------------------------------------------------------------------------------
        reconciler()
        reconciler()
        time.sleep(5.0)  # every standby past its start-up (imports, first load): failover, not start-up, is measured
        failovers: list[float] = []
        freed: list[float] = []
        for _ in range(args.failovers):
            wait(lambda: len(owners()) == 1, 30, 0.01)
            (owner,) = owners()
            killed = time.perf_counter()
            os.kill(owner, signal.SIGKILL)
            freed.append(wait(lambda killed_pid=owner: killed_pid not in owners(), 60, 0.005))
            wait(lambda killed_pid=owner: (lambda now: len(now) == 1 and now[0] != killed_pid)(owners()), 60, 0.005)
            failovers.append(time.perf_counter() - killed)
            reconciler()  # keep three alive
            time.sleep(5.0)
        summary("  of which: PostgreSQL frees the lock", freed, "")
        summary("failover after kill -9 (interval 0.5 s)", failovers, "bounded: ≤ interval + connect")
    finally:
        engine.dispose()
        for process in processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        from quantmatrix.runtime.drivers import procs
        from quantmatrix.runtime.drivers.process import ProcessState

        for state_file in (repo / ".qm" / "paper").glob("*.json"):
            state = ProcessState.model_validate_json(state_file.read_bytes())
            for process_state in (state, state.previous):
                if process_state is not None and procs.is_ours(process_state.pid, process_state.started):
                    os.kill(process_state.pid, signal.SIGKILL)
        client.close()
        os.kill(redis_proc.pid, signal.SIGKILL)
        redis_proc.wait()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        if os.environ.get("QM_BENCH_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _pings(client: object) -> bool:
    import redis

    try:
        return bool(client.ping())  # type: ignore[attr-defined]
    except redis.RedisError:
        return False


if __name__ == "__main__":
    main()
