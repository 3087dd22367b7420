"""Local processes we started, known by pid *and* start time, so that a stale pid file never
makes us signal a process that merely reuses the pid.

Linux `/proc/<pid>/stat` gives the start time in clock ticks since boot. A pid whose start time
differs from the recorded one is another process: it is left alone and reported as not ours.
A zombie counts as dead.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


def start_time(pid: int) -> int | None:
    """The start time of `pid` (clock ticks since boot), or None when it is not alive (or a zombie)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    if fields[0] in ("Z", "X"):
        _reap(pid)
        return None
    return int(fields[19])


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: its parent (or init) reaps it


def is_ours(pid: int, started: int) -> bool:
    """Whether `pid` is alive and is the process that started at `started`."""
    return pid > 1 and start_time(pid) == started


def terminate(pid: int, started: int, grace: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """SIGTERM the process group of `pid` (its session: we start each service in its own),
    wait up to `grace` seconds, then SIGKILL the group. Returns False, signalling nothing,
    when `pid` is not the recorded process any more."""
    if not is_ours(pid, started):
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if start_time(pid) != started:
            break
        sleep(0.05)
    _signal_group(pid, signal.SIGKILL)  # stragglers of the group, or the leader that ignored SIGTERM
    for _ in range(100):
        _reap(pid)
        if start_time(pid) != started:
            break
        sleep(0.02)
    return True


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def free_port(host: str) -> int:
    """A TCP port nobody listens on now (the service binds it right after; a lost race fails
    that start cleanly and the deploy says so)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
