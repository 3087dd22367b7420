"""Time `qm validate` as a whole process: the sample repository and synthetic ones.

    .venv/bin/python bench/validate_bench.py [--runs 7] [--sizes 250,500,1000]

Each figure is the median wall time of `--runs` runs after one warm-up run (page cache,
.pyc files), of the `qm` console script next to this Python, exactly as a user or CI runs
it. Synthetic repositories (bench/synthetic.py) have 20 strategies per environment and half
as many releases as environments (1,000 environments → 500 releases). Prints figures; it
asserts nothing (targets: ≤ 0.3 s on the sample, ≤ 3 s on 1,000 environments, linear).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.args import positive_int, sizes  # noqa: E402
from bench.synthetic import write_repo  # noqa: E402
from bench.timing import run_timed  # noqa: E402


def qm_command() -> list[str]:
    script = Path(sys.executable).with_name("qm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quantmatrix"]


def time_validate(path: Path, runs: int) -> tuple[float, list[float], float]:
    """Median and all wall times (seconds) of `qm validate PATH`, and its median CPU time;
    fails loudly if invalid."""
    command = [*qm_command(), "validate", str(path)]
    env = {**os.environ, "NO_COLOR": "1"}
    times, cpus = [], []
    for i in range(runs + 1):
        elapsed, cpu, done = run_timed(command, env)
        if done.returncode != 0:
            sys.exit(f"qm validate {path} exited {done.returncode}:\n{done.stderr.decode()[:2000]}")
        if i:  # the first run warms caches
            times.append(elapsed)
            cpus.append(cpu)
    return statistics.median(times), times, statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=positive_int, default=7, help="timed runs per repository (after one warm-up run)"
    )
    parser.add_argument(
        "--sizes",
        type=sizes,
        default="250,500,1000",
        help="environment counts of the synthetic repositories, comma-separated",
    )
    parser.add_argument("--strategies", type=positive_int, default=20, help="strategies per synthetic environment")
    args = parser.parse_args()

    print(
        f"qm validate, whole process, median of {args.runs} runs, {args.strategies} strategies per synthetic "
        f"environment ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"
    )
    print(f"{'repository':<36} {'files':>6} {'MiB':>6} {'median s':>9} {'min s':>7} {'ms/env':>7} {'cpu s':>7}")
    median, times, cpu = time_validate(ROOT, args.runs)
    print(
        f"{'sample (environments/, releases/)':<36} {_files(ROOT):>6} {_mib(ROOT):>6.2f} {median:>9.3f} {min(times):>7.3f} {'':>7} {cpu:>7.3f}"
    )
    figures = []
    with tempfile.TemporaryDirectory(prefix="qm-bench-") as tmp:
        for size in args.sizes:
            repo = write_repo(
                Path(tmp) / f"envs-{size}", environments=size, strategies=args.strategies, releases=max(size // 2, 1)
            )
            median, times, cpu = time_validate(repo, args.runs)
            figures.append((size, median, cpu))
            label = f"synthetic: {size} envs, {max(size // 2, 1)} releases"
            print(
                f"{label:<36} {_files(repo):>6} {_mib(repo):>6.2f} {median:>9.3f} {min(times):>7.3f} {1000 * median / size:>7.2f} {cpu:>7.3f}"
            )
    print_growth(figures)


def print_growth(figures: list[tuple[int, float, float]]) -> None:
    if len(figures) >= 2:
        (small, t_small, c_small), (large, t_large, c_large) = figures[0], figures[-1]
        print(
            f"growth {small} → {large} environments: ×{large / small:.1f} size, ×{t_large / t_small:.2f} time, ×{c_large / c_small:.2f} CPU time"
        )


def _files(root: Path) -> int:
    return sum(1 for folder in ("environments", "releases") for p in (root / folder).rglob("*.y*ml"))


def _mib(root: Path) -> float:
    return (
        sum(p.stat().st_size for folder in ("environments", "releases") for p in (root / folder).rglob("*.y*ml"))
        / 2**20
    )


if __name__ == "__main__":
    main()
