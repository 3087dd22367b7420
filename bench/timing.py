"""Time one whole `qm` process: wall time, and the CPU time (user + system) of it and of every
process it waited for (the loader's parsing child included). On a shared machine the wall
time grows with other people's load; the CPU time much less, so it shows growth (linear or
not) even when the wall times are noisy."""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from collections.abc import Callable


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(wall seconds, CPU seconds, the finished process)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    return time.perf_counter() - start, _children_cpu() - cpu, done


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Median wall time of `runs` calls of `action`, in milliseconds (in-process steps)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
