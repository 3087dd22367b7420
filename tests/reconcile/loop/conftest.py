"""A paper-like environment for the reconcile loop, shared by a test module: its own
PostgreSQL database, a private `redis-server` on a free port (so an outage test can stop
it without touching anyone else's), the sandbox platform on free ports, all in a git
repository the loop can follow. Everything started is stopped by pid afterwards.

Paper runs the sandbox here under expiring QM-RUN-002 waivers (as in test_apply_paper.py)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ..conftest import _free_ports, copy_local_repo, make_paper_like, stop_platform, wait_until  # type: ignore[import-not-found]  # the reconciler tests' helpers

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    return _free_ports(1)[0]


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def wait_for(condition: Callable[[], Any], timeout: float, step: float = 0.02) -> float:
    """`wait_until` of tests/reconcile/conftest.py, polling more often."""
    return wait_until(condition, timeout, step)


@dataclass
class PrivateRedis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            wait_for(lambda: _pings(client), 10)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _pings(client: Any) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@dataclass
class PaperEnv:
    repo: Path
    url: str
    prefix: str
    redis: PrivateRedis
    client: Any  # redis.Redis on the private server

    def commit(self, message: str) -> str:
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-qm", message)
        return git(self.repo, "rev-parse", "HEAD")

    def edit_paper(self, old: str, new: str) -> None:
        paper = self.repo / "environments" / "paper.yaml"
        content = paper.read_text()
        assert old in content, old
        paper.write_text(content.replace(old, new, 1))


def _paper_repo(repo: Path, prefix: str) -> None:
    """The reconciler tests' paper-like copy (`make_paper_like`), observed every 0.5 s, committed."""
    make_paper_like(copy_local_repo(repo), prefix)
    paper = repo / "environments" / "paper.yaml"
    content = paper.read_text()
    checks = content.index("    checks:", content.index("  runtime:"))
    paper.write_text(content[:checks] + "    reconcile: {observe_interval_seconds: 0.5}\n" + content[checks:])
    (repo / ".gitignore").write_text(".qm/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "paper for the loop tests")


@pytest.fixture(scope="module")
def paper_env(tmp_path_factory: pytest.TempPathFactory, pg_admin: Any) -> Iterator[PaperEnv]:
    import redis
    from sqlalchemy.engine import make_url

    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and redis-server is not installed")
        pytest.skip("SKIPPED LOUDLY: redis-server is not installed (the loop tests start a private one)")
    private = PrivateRedis(free_port())
    private.start()
    name = f"qm_test_{secrets.token_hex(6)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(str(pg_admin.url)).set(database=name).render_as_string(hide_password=False)
    prefix = f"qmloop:{secrets.token_hex(4)}:"
    base = tmp_path_factory.mktemp("loop")
    repo = base / "repo"
    _paper_repo(repo, prefix)
    client = redis.Redis(port=private.port, socket_connect_timeout=1, socket_timeout=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QM_PAPER_POSTGRES_URL", url)
        patch.setenv("QM_PAPER_REDIS_URL", private.url)
        try:
            yield PaperEnv(repo, url, prefix, private, client)
        finally:
            client.close()
            for root in [repo, *base.glob("**/checkout")]:
                stop_platform(root, "paper")
            private.stop()
            with pg_admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Recorder:
    """A `LoopEvents` that keeps every event, timestamped (the tests' window into the loop)."""

    seen: list[tuple[float, str, tuple[Any, ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _add(self, kind: str, *args: Any) -> None:
        with self.lock:
            self.seen.append((time.monotonic(), kind, args))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        with self.lock:
            return [args for _, k, args in self.seen if k == kind]

    def pass_started(self, environment: str) -> None:
        self._add("pass_started", environment)

    def pass_finished(self, environment: str, result: str, seconds: float, detail: str) -> None:
        self._add("pass_finished", environment, result, seconds, detail)

    def drift_detected(self, event: Any) -> None:
        self._add("drift", event)

    def trading_changed(self, environment: str, state: str, reason: str) -> None:
        self._add("trading", environment, state, reason)

    def deployment(self, environment: str, deployment_id: str | None, result: str) -> None:
        self._add("deployment", environment, deployment_id, result)

    def degraded(self, environment: str | None, reason: str) -> None:
        self._add("degraded", environment, reason)

    def recovered(self, environment: str | None) -> None:
        self._add("recovered", environment)

    def ownership(self, environment: str, owned: bool) -> None:
        self._add("ownership", environment, owned)


class LoopThread:
    """An in-process `Reconciler.run_forever` on a thread; `stop()` is its SIGTERM."""

    def __init__(self, options: Any):
        from quantmatrix.reconcile.loop import Reconciler

        self.events = Recorder()
        self.reconciler = Reconciler(options, self.events)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.reconciler.run_forever()
        except BaseException as error:  # noqa: BLE001 - surfaced by stop()
            self.error = error

    def start(self) -> LoopThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.reconciler.request_stop()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the loop did not stop"
        if self.error is not None:
            raise self.error

    def in_sync(self, environment: str = "paper") -> bool:
        return any(args[0] == environment and args[1] == "in_sync" for args in self.events.of("pass_finished"))


@pytest.fixture
def start_loop() -> Iterator[Callable[..., LoopThread]]:
    started: list[LoopThread] = []

    def start(**kwargs: Any) -> LoopThread:
        from quantmatrix.reconcile.loop import LoopOptions

        loop = LoopThread(LoopOptions(**kwargs)).start()
        started.append(loop)
        return loop

    try:
        yield start
    finally:
        for loop in started:
            if loop.thread.is_alive():
                loop.stop()


def qm(*args: str, cwd: Path, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "quantmatrix", *args], cwd=cwd, env={**os.environ, "NO_COLOR": "1"}, text=True, **popen
    )
