"""Time `qm check` as a whole process: the sample repository and synthetic ones.

    .venv/bin/python bench/check_bench.py [--runs 7] [--sizes 250,500,1000] [--phases] [--noisy]

Each figure is the median wall time of `--runs` runs after one warm-up run, of the `qm`
console script, exactly as CI runs it (embedded engine, text report to /dev/null, the date
pinned to bench/synthetic.py's `TODAY` with `--today`). Synthetic repositories come from
bench/synthetic.py (20 strategies per environment, half as many releases as environments)
with this repository's `policies/` copied in, since `qm check` reads the pack from the
checked tree: realistic ones, which the pack passes, or with `--noisy` the findings-heavy
ones (≈ 10.7 findings per environment). Findings are fine (exit 1); exit ≥ 2 aborts.
`--phases` also times, in one process, loading vs. the policy gate (input, engine, findings)
per repository, to show where the time goes. Prints figures; asserts nothing
(targets: ≤ 0.5 s on the sample, ≤ 3 s on 1,000 environments, linear growth).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.args import positive_int, sizes  # noqa: E402
from bench.synthetic import TODAY, write_repo  # noqa: E402
from bench.timing import run_timed  # noqa: E402
from bench.validate_bench import _files, _mib, print_growth, qm_command  # noqa: E402


def time_check(path: Path, runs: int) -> tuple[float, list[float], int, float]:
    """Median and all wall times (seconds) of `qm check PATH`, its exit code and its median
    CPU time."""
    command = [*qm_command(), "check", str(path), "--output", os.devnull, "--today", TODAY]
    env = {**os.environ, "NO_COLOR": "1"}
    times, cpus, code = [], [], 0
    for i in range(runs + 1):
        elapsed, cpu, done = run_timed(command, env)
        code = done.returncode
        if code >= 2:
            sys.exit(f"qm check {path} exited {code}:\n{done.stderr.decode()[:2000]}")
        if i:  # the first run warms caches
            times.append(elapsed)
            cpus.append(cpu)
    return statistics.median(times), times, code, statistics.median(cpus)


def phases(path: Path) -> str:
    """Load vs. gate, in this process (imports excluded): where a whole run spends its time.
    As in `qm check`, the loaded state is frozen out of the garbage collector's sight."""
    from quantmatrix.policy.gate import run_check
    from quantmatrix.repo.loader import load_source
    from quantmatrix.repo.source import open_source

    start = time.perf_counter()
    source = open_source(path)
    state = load_source(source)
    gc.freeze()
    loaded = time.perf_counter()
    result = run_check(state, source=source, today=TODAY)
    done = time.perf_counter()
    gate = f"gate {done - loaded:.3f} s ({len(result.findings)} findings, of which {_engine(source, state)})"
    gc.unfreeze()
    return f"load {loaded - start:.3f} s, {gate}; {_packages(source, state)}"


def _engine(source, state) -> str:  # type: ignore[no-untyped-def]
    """The gate's input and engine steps, timed one by one (the rest is METADATA, locating
    findings and waivers)."""
    from quantmatrix.policy.engines.embedded import RULES_QUERY, new_interpreter, query
    from quantmatrix.policy.input import input_json, policy_input
    from quantmatrix.policy.pack import load_pack

    pack = load_pack(source)
    marks = [time.perf_counter()]
    document = input_json(policy_input(state, today=TODAY))
    marks.append(time.perf_counter())
    interpreter = new_interpreter(pack)
    interpreter.set_input_json(document)
    marks.append(time.perf_counter())
    query(interpreter, RULES_QUERY)
    marks.append(time.perf_counter())
    build, hand_over, evaluate = (b - a for a, b in zip(marks, marks[1:]))
    return f"input JSON {build:.3f} s ({len(document) / 2**20:.1f} MiB), pack and input into the interpreter {hand_over:.3f} s, Rego query {evaluate:.3f} s"


def _packages(source, state) -> str:  # type: ignore[no-untyped-def]
    """Evaluation time of each rule package alone (the gate evaluates them in one query; the
    helpers of `qm.lib` they share are counted in each)."""
    from quantmatrix.policy.engines.embedded import new_interpreter, query
    from quantmatrix.policy.input import input_json, policy_input
    from quantmatrix.policy.pack import load_pack

    pack = load_pack(source)
    document = input_json(policy_input(state, today=TODAY))
    interpreter = new_interpreter(pack)
    interpreter.set_input_json(document)
    _, packages = query(interpreter, "data.qm.rules")
    times = []
    for package in sorted(packages or {}):
        interpreter = new_interpreter(pack)
        interpreter.set_input_json(document)
        start = time.perf_counter()
        query(interpreter, f"data.qm.rules.{package}")
        times.append((time.perf_counter() - start, package))
    return "packages: " + ", ".join(f"{name} {seconds:.3f}" for seconds, name in sorted(times, reverse=True))


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
    parser.add_argument("--phases", action="store_true", help="also time load vs. policy gate in-process")
    parser.add_argument(
        "--noisy", action="store_true", help="findings-heavy synthetic repositories (bench/synthetic.py noisy=True)"
    )
    args = parser.parse_args()

    print(
        f"qm check (embedded engine), whole process, median of {args.runs} runs, {args.strategies} strategies per "
        f"{'noisy' if args.noisy else 'realistic'} synthetic environment, --today {TODAY} "
        f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"
    )
    print(
        f"{'repository':<36} {'files':>6} {'MiB':>6} {'median s':>9} {'min s':>7} {'ms/env':>7} {'exit':>4} {'cpu s':>7}"
    )
    median, times, code, cpu = time_check(ROOT, args.runs)
    print(
        f"{'sample (environments/, releases/)':<36} {_files(ROOT):>6} {_mib(ROOT):>6.2f} {median:>9.3f} {min(times):>7.3f} {'':>7} {code:>4} {cpu:>7.3f}"
    )
    if args.phases:
        print(f"  {phases(ROOT)}")
    figures = []
    with tempfile.TemporaryDirectory(prefix="qm-check-bench-") as tmp:
        for size in args.sizes:
            repo = write_repo(
                Path(tmp) / f"envs-{size}",
                environments=size,
                strategies=args.strategies,
                releases=max(size // 2, 1),
                noisy=args.noisy,
            )
            shutil.copytree(ROOT / "policies", repo / "policies")
            median, times, code, cpu = time_check(repo, args.runs)
            figures.append((size, median, cpu))
            label = f"synthetic: {size} envs, {max(size // 2, 1)} releases"
            print(
                f"{label:<36} {_files(repo):>6} {_mib(repo):>6.2f} {median:>9.3f} {min(times):>7.3f} {1000 * median / size:>7.2f} {code:>4} {cpu:>7.3f}"
            )
            if args.phases:
                print(f"  {phases(repo)}")
    print_growth(figures)


if __name__ == "__main__":
    main()
