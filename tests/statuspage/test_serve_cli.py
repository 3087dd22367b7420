"""`qm serve` as a real process: prints its URL, serves the page and /metrics, logs JSON lines
with --log-format json, exits 0 on SIGTERM; bad input exits 2, a taken port 3."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _qm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quantmatrix", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_serve_runs_logs_json_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quantmatrix",
            "serve",
            "local",
            "--path",
            str(ROOT),
            "--port",
            "0",
            "--log-format",
            "json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("status page on http://127.0.0.1:") and "1 environments; halt disabled" in first
        url = first.split()[3]
        page = urllib.request.urlopen(url, timeout=5).read().decode()
        assert "<title>QuantMatrix Deploy · status</title>" in page
        metrics = urllib.request.urlopen(url + "metrics", timeout=5).read().decode()
        assert (
            'qm_environment_in_sync{environment="local"}' in metrics
            and "# TYPE qm_reconcile_duration_seconds histogram" in metrics
        )
        status = json.loads(urllib.request.urlopen(url + "api/status", timeout=5).read())
        assert [e["environment"] for e in status["environments"]] == ["local"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        lines = [json.loads(line) for line in process.stderr.read().splitlines()]
        assert any(line["msg"] == "serving" and line["environments"] == ["local"] for line in lines)
        assert all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (("nope",), {}, "no environment 'nope'"),
        (
            ("local", "--halt-token-env", "QM_TEST_SHORT_TOKEN"),
            {"QM_TEST_SHORT_TOKEN": "short"},
            "at least 16 characters",
        ),
        (("local", "--halt-token-env", "QM_TEST_UNSET_TOKEN_XYZ"), {}, "at least 16 characters"),
        (("local", "--log-format", "xml"), {}, "Invalid value for '--log-format'"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: tuple[str, ...], env: dict[str, str], expected: str) -> None:
    done = _qm(*args, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert "short" not in done.stderr.replace("--halt-token-env", "")


def test_a_taken_port_exits_3() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        done = _qm("local", "--port", str(sock.getsockname()[1]))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cannot listen" in done.stderr and "Traceback" not in done.stderr
