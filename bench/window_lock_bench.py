"""What the deploy window and the apply lock add to an apply: prints figures, asserts nothing.

    .venv/bin/python bench/window_lock_bench.py [--runs 50] [--postgres URL]

- import of the window decision (the `holidays` calendars included), in a fresh process;
- the first decision (builds the year's calendar) and a warm one;
- the slowest `next_window_start`: a window that never opens within the year (a freeze, or
  windows that only ever fall in session), so the whole horizon is scanned;
- taking and releasing the apply lock: a file lock, and a PostgreSQL advisory lock on a
  fresh connection (skipped if the server cannot be reached).
The apply's budget these come out of: a no-op apply ≤ 0.5 s as a whole process (issue 10).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("America/New_York"))


def import_ms(runs: int) -> float:
    code = "import time; s = time.perf_counter(); import quantmatrix.reconcile.window; print(time.perf_counter() - s)"
    return (
        statistics.median(
            float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)
        )
        * 1000
    )


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench.args` when run as a script
    from bench.args import positive_int
    from bench.timing import median_ms

    parser = argparse.ArgumentParser(prog="bench/window_lock_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive_int, default=50, help="timed runs of each in-process step")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL for the advisory lock",
    )
    args = parser.parse_args()

    print(f"import quantmatrix.reconcile.window (fresh process, median of 5): {import_ms(5):.0f} ms")

    from quantmatrix.model.common import Mode
    from quantmatrix.model.window import DeployWindow
    from quantmatrix.reconcile.lock import LockHeld, acquire_apply_lock, this_process
    from quantmatrix.reconcile.window import decide, resolve

    live = resolve(DeployWindow(margin_minutes=60), Mode.live)
    start = time.perf_counter()
    decide(live, NOW)
    print(f"first decision (builds the calendar): {(time.perf_counter() - start) * 1000:.1f} ms")
    print(f"warm decision, refused, with next start: {median_ms(lambda: decide(live, NOW), args.runs):.2f} ms")

    frozen = resolve(
        DeployWindow.model_validate({"freeze": [{"start": "2026-01-01", "end": "2028-01-01", "reason": "bench"}]}),
        Mode.live,
    )
    in_session_only = resolve(
        DeployWindow.model_validate(
            {"windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "11:00"}]}
        ),
        Mode.live,
    )
    print(f"no window within the year (freeze), whole horizon: {median_ms(lambda: decide(frozen, NOW), 5):.1f} ms")
    print(
        f"windows only in session (next: a weekday holiday): {median_ms(lambda: decide(in_session_only, NOW), 5):.1f} ms"
    )

    holder = this_process("bench", datetime.now(UTC))

    def take(target: str | Path) -> None:
        with acquire_apply_lock(target, "bench", holder):
            pass

    with tempfile.TemporaryDirectory() as folder:
        print(f"file lock, take and release: {median_ms(lambda: take(Path(folder)), args.runs):.2f} ms")
    try:
        take(args.postgres)
    except LockHeld:
        print("PostgreSQL lock: 'bench' is held by someone else; skipped")
        return
    except Exception as error:  # a benchmark: say why and go on
        print(f"PostgreSQL lock: skipped ({type(error).__name__}: {error})")
        return
    print(
        f"PostgreSQL advisory lock, connect + take + release: {median_ms(lambda: take(args.postgres), min(args.runs, 20)):.1f} ms"
    )


if __name__ == "__main__":
    main()
