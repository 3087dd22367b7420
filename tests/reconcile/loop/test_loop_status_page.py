"""`qm reconcile --watch --status-port`: the loop serves the status page, `/api/status` and
`/metrics` itself, its pass and deployment counters fed by the loop's own events."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
            if last:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s (last: {last!r})")


def test_the_loop_serves_its_status_page_and_metrics(local_repo: Path) -> None:
    port = _free_port()
    env = {**os.environ, "NO_COLOR": "1"}
    loop = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quantmatrix",
            "reconcile",
            "local",
            "--watch",
            "--path",
            str(local_repo),
            "--interval",
            "1",
            "--status-port",
            str(port),
            "--log-format",
            "json",
        ],
        cwd=local_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def in_sync() -> bool:
            documents = httpx.get(f"{base}/api/status", timeout=2).json()["environments"]
            return any(d.get("environment") == "local" and d.get("in_sync") is True for d in documents)

        _wait(in_sync, 120)

        def metrics_after_a_pass() -> str | None:
            text = httpx.get(f"{base}/metrics", timeout=2).text
            return text if "qm_reconcile_total{" in text else None

        metrics = _wait(metrics_after_a_pass, 30)
        assert 'qm_environment_in_sync{environment="local"} 1.0' in metrics
        assert 'qm_deployments_total{environment="local",result=' in metrics
        page = httpx.get(f"{base}/", timeout=2)  # the page renders /api/status with its script
        assert page.status_code == 200 and "script-src" in page.headers["content-security-policy"]
    finally:
        loop.send_signal(signal.SIGTERM)
        try:
            _, err = loop.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            loop.kill()
            _, err = loop.communicate()
    assert loop.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("{")]
    assert lines, "the loop logs one JSON object per line with --log-format json"
