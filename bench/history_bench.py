"""`qm history` on a store holding many deployment records: the whole process, each format.

Records are written as the reconciler writes them (one per deployment, three check results
each, an incident on every tenth), straight into the tables for speed. Prints the median
wall time of `qm history ENV --store URL --format F [--limit N]` (a fresh process per run).

    .venv/bin/python bench/history_bench.py [--records 5000] [--runs 5] [--store URL]

Without --store it uses a SQLite file in a temporary folder. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from quantmatrix.runtime.store import open_store  # noqa: E402
from quantmatrix.runtime.store.tables import CheckResultRow, Deployment, Incident, table  # noqa: E402

QM = str(Path(sys.executable).with_name("qm"))
T0 = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)


def fill(url: str, count: int) -> None:
    store = open_store(url)
    deployments, checks, incidents = [], [], []
    for i in range(count):
        dep, at = f"dep-paper-2026.1.{i}-1", T0 + timedelta(hours=i)
        deployments.append(
            dict(
                id=dep,
                environment="paper",
                release=f"2026.1.{i}",
                previous_release=f"2026.1.{i - 1}",
                status="succeeded",
                started_at=at,
                finished_at=at + timedelta(minutes=4),
                operator="dana.ops",
                engineer="li.eng",
                commit="3f2a9c1d" * 5,
                config_version="cfg",
                config_changes=["Risk limits max_daily_loss: 5,000 → 5,500 (+10.0%, increases risk)"],
                migration_changes=[],
                strategy_changes=["Strategies momentum_breakout version: 1.4.0 → 1.4.2"],
                rollback_used=False,
                summary="applied: 9 steps",
                mode="paper",
                monitoring_until=at + timedelta(hours=20),
                monitoring_intensity="active",
                monitoring_basis="end of the next XNYS session",
            )
        )
        checks += [
            dict(
                environment="paper",
                deployment_id=dep,
                at=at,
                name=n,
                category=n.split(".")[0],
                status=None,
                passed=True,
                duration_seconds=0.04,
                message="ok",
            )
            for n in ("health.api", "smoke.account_summary", "safety.mode_displayed")
        ]
        if i % 10 == 0:
            incidents.append(
                dict(
                    environment="paper",
                    deployment_id=dep,
                    at=at,
                    severity="warning",
                    kind="break_glass",
                    summary="outside the window",
                    detail="",
                    recorded_by="dana.ops",
                )
            )
    with store.begin() as conn:
        conn.execute(insert(table(Deployment)), deployments)
        conn.execute(insert(table(CheckResultRow)), checks)
        if incidents:
            conn.execute(insert(table(Incident)), incidents)
    store.close()


def median_seconds(args: list[str], runs: int) -> float:
    subprocess.run(args, check=True, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from bench.args import positive_int  # ROOT is on sys.path (above)

    parser = argparse.ArgumentParser(prog="bench/history_bench.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=positive_int, default=5000, help="deployment records to write")
    parser.add_argument("--runs", type=positive_int, default=5, help="timed runs per format (after one warm-up)")
    parser.add_argument("--store", metavar="URL", help="an empty store to fill (default: SQLite in a temporary folder)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.store or f"sqlite:///{folder}/state.db"
        fill(url, options.records)
        print(f"{options.records} records in {url.split('@')[-1]}")
        for fmt, extra in (("json", []), ("text", []), ("markdown", []), ("text", ["--limit", "20"])):
            args = [QM, "history", "paper", "--store", url, "--format", fmt, *extra]
            print(f"  --format {fmt:<8} {' '.join(extra):<11} median {median_seconds(args, options.runs):.3f} s")


if __name__ == "__main__":
    main()
