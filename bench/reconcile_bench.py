"""The reconciler on the embedded default (local: sandbox processes, SQLite): prints figures,
asserts nothing.

    .venv/bin/python bench/reconcile_bench.py [--runs 10]

- a full apply of local from scratch (`qm apply local --yes`, whole process);
- a no-op apply (in sync), whole process, median and max of `--runs` (the in-sync fast path,
  `reconcile/noop.py`), and the same through the full path (its `.qm/noop/` cache removed);
- an upgrade 2026.11.0 → 2026.11.1 (api and workers change, no migration), whole process,
  and how long trading was not ACTIVE during it (REDUCING → ACTIVE in the trading history).
Targets (issue 10): no-op ≤ 0.5 s whole process; trading paused ≤ 5 s for an upgrade with no
migration against the sandbox. Runs in a temporary copy on free ports; `qm down` at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            if sock.getsockname()[1] not in ports:
                ports.append(sock.getsockname()[1])
    return ports


CPU: list[float] = []  # CPU seconds (user + system) of each `qm` process, in order: steadier than wall time under load


def qm(repo: Path, *args: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "quantmatrix", *args], cwd=repo, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"qm {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return elapsed


def paused_seconds(repo: Path) -> float:
    from quantmatrix.reconcile.connect import connect
    from quantmatrix.repo.loader import load
    from quantmatrix.runtime.store.events import trading_history

    connected = connect(load(repo), "local", repo, create=False)
    try:
        assert connected.store is not None
        rows = trading_history(connected.store, "local")
    finally:
        connected.close()
    paused = next(r["at"] for r in reversed(rows) if r["trading"] != "ACTIVE" and r["previous"] == "ACTIVE")
    active = rows[-1]["at"]
    return (active - paused).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        for name in ("environments", "releases", "migrations", "policies"):
            shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        local = repo / "environments" / "local.yaml"
        api, workers, ui = free_ports(3)
        text = local.read_text()
        for old, new in (
            ("{port: 8000}", f"{{port: {api}}}"),
            ("{port: 8001}", f"{{port: {workers}}}"),
            ("{port: 5173}", f"{{port: {ui}}}"),
            ("127.0.0.1:8000", f"127.0.0.1:{api}"),
            ("127.0.0.1:5173", f"127.0.0.1:{ui}"),
        ):
            # whole numbers only: api on 51731 must not be rewritten again by the ui's 5173
            text = re.sub(re.escape(old) + r"(?!\d)", new, text)
        local.write_text(text)
        try:
            qm(repo, "promote", "2026.11.0", "--to", "local", ".")
            scratch = qm(repo, "apply", "local", "--yes")
            print(f"full apply of local from scratch (2026.11.0), whole process: {scratch:.2f} s")
            noops = [qm(repo, "apply", "local", "--yes") for _ in range(runs)]
            print(
                f"no-op apply, whole process: median {statistics.median(noops):.2f} s, max {max(noops):.2f} s ({runs} runs; target ≤ 0.5 s);"
                f" CPU median {statistics.median(CPU[-runs:]):.2f} s"
            )
            full = []
            for _ in range(runs):  # the same no-op through the full path: its fast path's cache removed first
                (repo / ".qm" / "noop" / "local.json").unlink(missing_ok=True)
                full.append(qm(repo, "apply", "local", "--yes"))
            print(
                f"no-op apply through the full path (no .qm/noop cache), whole process: median {statistics.median(full):.2f} s, max {max(full):.2f} s;"
                f" CPU median {statistics.median(CPU[-runs:]):.2f} s"
            )
            print(f"load average (1 min) now: {os.getloadavg()[0]:.1f}")
            local.write_text(text)  # back to 2026.11.1
            upgrade = qm(repo, "apply", "local", "--yes")
            print(f"upgrade 2026.11.0 → 2026.11.1 (api, workers; no migration), whole process: {upgrade:.2f} s")
            print(f"trading not ACTIVE during the upgrade: {paused_seconds(repo):.2f} s (target ≤ 5 s)")
        finally:
            subprocess.run([sys.executable, "-m", "quantmatrix", "down", "local"], cwd=repo, capture_output=True)


if __name__ == "__main__":
    main()
