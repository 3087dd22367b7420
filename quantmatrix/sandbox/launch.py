"""Start sandbox components as child processes and stop them by pid (tests, the bench).

`launch` runs `python -m quantmatrix sandbox serve ... --port 0`, waits for the line that
gives the URL, and returns the pid and URL; `stop` sends SIGTERM, waits, then SIGKILL.
(The process driver supervises its own processes; this is the small helper for callers
that need a platform for a while and then none.)
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quantmatrix.model.runtime import COMPONENTS

_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class LaunchFailed(RuntimeError):
    """The component exited or did not say where it listens in time."""


@dataclass(frozen=True)
class Launched:
    pid: int
    url: str
    process: subprocess.Popen[str]


def spawn(
    component: str, version: str, mode: str, *extra: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start a component (in its own session) without waiting for it."""
    argv = [
        sys.executable,
        "-m",
        "quantmatrix",
        "sandbox",
        "serve",
        "--component",
        component,
        "--version",
        version,
        "--mode",
        mode,
        "--port",
        "0",
        "--exit-with-stdin",
        *extra,
    ]
    # stdin is a pipe only this process holds: if it dies (even by SIGKILL) the component stops
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def wait_ready(process: subprocess.Popen[str], timeout: float = 15.0) -> Launched:
    """Wait for the line that says where it listens; stop it and raise if it never comes."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if selector.select(timeout=max(deadline - time.monotonic(), 0.01)):
                line = process.stdout.readline()
                match = _LISTENING.search(line)
                if match:
                    return Launched(process.pid, match.group(1), process)
                if not line:  # end of output: the process exited
                    break
    finally:
        selector.close()
    try:
        process.wait(2)  # it closed its output: it is exiting
    except subprocess.TimeoutExpired:
        pass
    stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
    stop(process)
    raise LaunchFailed(
        f"sandbox process {process.pid} did not start (exit {process.returncode}): {stderr.strip()[-500:]}"
    )


def launch(
    component: str, version: str, mode: str, *extra: str, env: Mapping[str, str] | None = None, timeout: float = 15.0
) -> Launched:
    return wait_ready(spawn(component, version, mode, *extra, env=env), timeout)


def stop(process: subprocess.Popen[str], grace: float = 3.0) -> int:
    """SIGTERM, then SIGKILL after `grace` seconds; returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    return process.returncode


def launch_platform(
    version: str | Mapping[str, str],
    mode: str,
    *extra: str,
    env: Mapping[str, str] | None = None,
    faults: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Launched]:
    """workers, ui, then the api with both as peers (`version`: one, or per component).
    On failure, stops what it started."""
    started: dict[str, Launched] = {}
    faults = faults or {}
    versions = {c: version if isinstance(version, str) else version[c] for c in COMPONENTS}
    spawned: dict[str, subprocess.Popen[str]] = {}
    try:
        for component in ("workers", "ui"):  # both at once: the API needs only their URLs
            fault_args = [arg for f in faults.get(component, ()) for arg in ("--fault", f)]
            spawned[component] = spawn(component, versions[component], mode, *extra, *fault_args, env=env)
        for component, process in spawned.items():
            started[component] = wait_ready(process)
        fault_args = [arg for f in faults.get("api", ()) for arg in ("--fault", f)]
        started["api"] = launch(
            "api",
            versions["api"],
            mode,
            *extra,
            *fault_args,
            "--peer",
            f"workers={started['workers'].url}",
            "--peer",
            f"ui={started['ui'].url}",
            env=env,
        )
    except BaseException:
        stop_all([*spawned.values(), *(running.process for running in started.values())])
        raise
    return started


def stop_all(processes: Sequence[subprocess.Popen[str]], grace: float = 3.0) -> None:
    """SIGTERM every one first, then wait for each (one grace period, not one each)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        stop(process, grace)
