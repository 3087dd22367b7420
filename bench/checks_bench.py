"""Time a full health/smoke/safety pass against the sandbox (guide §12; issue 9).

    .venv/bin/python bench/checks_bench.py [--runs 30] [--environment paper|local]

Starts the sandbox (api, workers, ui: three processes on free ports) with its control keys
in Redis under a fresh prefix (127.0.0.1:6379, or QM_TEST_REDIS_URL), runs `run_checks`
`--runs` times after one warm-up pass, prints the median and p95 wall time of a pass and
the slowest checks, then stops the processes by pid and deletes the keys. Each pass is what
the reconciler calls: a fresh httpx client, every applicable check concurrently. Target:
under 1 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from quantmatrix.repo.loader import load  # noqa: E402
from quantmatrix.runtime.checks import CheckSettings, Target, run_checks  # noqa: E402
from quantmatrix.runtime.control import TradingState, control_from_environment, redis_control  # noqa: E402
from quantmatrix.sandbox.launch import launch_platform, stop_all  # noqa: E402

REDIS_URL = os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def main() -> None:
    from bench.args import positive_int  # ROOT is on sys.path (above)

    parser = argparse.ArgumentParser(prog="bench/checks_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive_int, default=30, help="timed passes (after one warm-up)")
    parser.add_argument("--environment", default="paper", choices=["paper", "local", "live", "backtest"])
    options = parser.parse_args()
    state = load(str(ROOT))
    environment = state.environments[options.environment]
    versions = state.releases[environment.spec.release].spec.components.model_dump()
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"qm:bench:{uuid.uuid4().hex[:8]}:"
    plane = redis_control(client, prefix)
    plane.write(
        control_from_environment(
            environment, trading=TradingState.ACTIVE, reason="bench", changed_by="bench", now=datetime.now(UTC)
        )
    )
    started = time.perf_counter()
    platform = launch_platform(
        versions,
        environment.spec.mode.value,
        "--prefix",
        prefix,
        "--banner",
        environment.spec.ui.banner,
        env={"QM_SANDBOX_REDIS_URL": REDIS_URL},
    )
    print(f"sandbox up (3 processes) in {time.perf_counter() - started:.2f} s")
    try:
        target = Target(platform["api"].url, platform["ui"].url, redis=client.ping, expected_versions=versions)
        # PostgreSQL is not part of the sandbox: the bench measures the HTTP checks and Redis.
        names = None
        if environment.spec.postgres.required:
            from quantmatrix.runtime.checks import CHECKS

            names = [name for name in CHECKS if name != "health.postgres"]
        settings = CheckSettings()
        run_checks(target, environment, settings, names=names)  # warm-up
        times: list[float] = []
        slowest: dict[str, float] = {}
        failed: set[str] = set()
        for _ in range(options.runs):
            begin = time.perf_counter()
            results = run_checks(target, environment, settings, names=names)
            times.append(time.perf_counter() - begin)
            for result in results:
                slowest[result.name] = max(slowest.get(result.name, 0.0), result.duration_seconds)
                if not result.passed:
                    failed.add(f"{result.name}: {result.message}")
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{options.environment}: {len(results)} checks per pass, {options.runs} passes")
        print(
            f"  median {statistics.median(times) * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   max {times[-1] * 1000:.0f} ms   (target < 1000 ms)"
        )
        top = sorted(slowest.items(), key=lambda item: -item[1])[:4]
        print("  slowest checks (max): " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in top))
        if failed:
            print("  FAILED checks: " + "; ".join(sorted(failed)))
    finally:
        stop_all([launched.process for launched in platform.values()])
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    main()
