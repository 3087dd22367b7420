"""Time the pull-request path against the plain gate, side by side, as whole processes.

    .venv/bin/python bench/pr_path_bench.py [--runs 5] [--environments 1000] [--change value]

A synthetic repository (bench/synthetic.py, 20 strategies per environment, half as many
releases as environments, this repository's `policies/` copied in) is committed to a fresh
git repository; then one change is committed on top of it:

- `value`: one risk limit of one environment (a pull request's usual size),
- `base`: a value in `environments/_base.yaml` (every environment's effective state moves).

Each figure is the median wall time of `--runs` runs after one warm-up run of the `qm`
console script, with the date pinned (`--today`) and the report sent to /dev/null. Printed:
`qm validate`, `qm check`, `qm check --base HEAD~1`, `qm diff --base HEAD~1`, and the two
ratios the targets are about (issue 8: `check --base` ≤ 1.3 × `check`, `diff --base` ≤
1.3 × `validate`). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import TODAY, write_repo  # noqa: E402
from bench.validate_bench import qm_command  # noqa: E402


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(root: Path, environments: int, change: str) -> Path:
    """A git repository with two commits: the synthetic fleet, then `change` on top."""
    repo = write_repo(root, environments=environments, strategies=20, releases=max(environments // 2, 1))
    shutil.copytree(ROOT / "policies", repo / "policies")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "fleet")
    target = (
        repo
        / "environments"
        / (
            "_base.yaml"
            if change == "base"
            else sorted(p.name for p in (repo / "environments").glob("[!_]*.yaml") if p.name != "secrets.yaml")[0]
        )
    )
    text = target.read_text()
    # one risk limit one higher, in the first environment or in the base
    number = re.search(r"^\s+max_order_notional:\s*(\d+)\s*$", text, re.M)
    if number is None:
        sys.exit(f"no max_order_notional to change in {target}")
    start, end = number.span(1)
    target.write_text(text[:start] + str(int(number.group(1)) + 1) + text[end:])
    _git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qam", f"change one {change}")
    return repo


def timed(command: list[str], runs: int) -> float:
    """Median wall time of `command` (after a warm-up run); exit ≥ 2 aborts."""
    env = {**os.environ, "NO_COLOR": "1"}
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode >= 2:
            sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()[:2000]}")
        if i:
            times.append(elapsed)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--environments", type=int, default=1000)
    parser.add_argument("--change", choices=["value", "base"], default="value", help="what the head commit changes")
    args = parser.parse_args()
    qm = qm_command()
    with tempfile.TemporaryDirectory(prefix="qm-pr-bench-") as tmp:
        repo = make_repo(Path(tmp) / "repo", args.environments, args.change)
        out = ["--output", os.devnull]
        today = ["--today", TODAY]
        figures = {
            "validate": timed([*qm, "validate", str(repo)], args.runs),
            "check": timed([*qm, "check", str(repo), *out, *today], args.runs),
            "check --base HEAD~1": timed([*qm, "check", str(repo), "--base", "HEAD~1", *out, *today], args.runs),
            "diff --base HEAD~1": timed([*qm, "diff", str(repo), "--base", "HEAD~1", *today], args.runs),
        }
    print(
        f"PR path, whole processes, median of {args.runs} runs, {args.environments} environments, "
        f"one {args.change} changed ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"
    )
    for name, seconds in figures.items():
        print(f"  qm {name:<22} {seconds:6.3f} s")
    print(f"  check --base / check     ×{figures['check --base HEAD~1'] / figures['check']:.2f} (target ≤ 1.3)")
    print(f"  diff --base / validate   ×{figures['diff --base HEAD~1'] / figures['validate']:.2f} (target ≤ 1.3)")


if __name__ == "__main__":
    main()
