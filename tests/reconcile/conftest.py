"""Fixtures for the reconciler tests: a private PostgreSQL database on the real server, and
lock-holding subprocesses that are killed by pid whatever the outcome."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

PG_ADMIN_URL = os.environ.get("QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HOLDER_SCRIPT = Path(__file__).with_name("lock_holder.py")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database of our own (`qm_test_<random>`), dropped after the session.

    Without a PostgreSQL server the test is skipped, loudly; with CI=true it fails."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"qm_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL is not reachable at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}: {str(error.orig).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(f"SKIPPED LOUDLY: {reason} (start it as .ci/run does)")
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Holders:
    """Starts `lock_holder.py` processes; every one is killed by pid at the end of the test."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, target: str | Path, environment: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(HOLDER_SCRIPT), str(target), environment],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        return process

    def first_line(self, process: subprocess.Popen[str], timeout: float = 20.0) -> str:
        """The process's first line of output (WON … or HELD …), waiting at most `timeout`."""
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=0.1):
                    line = process.stdout.readline()
                    if line:
                        return line.strip()
                    break
        stderr = process.stderr.read() if process.poll() is not None and process.stderr else ""
        raise AssertionError(f"lock holder {process.pid} said nothing within {timeout}s; stderr: {stderr}")

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def holders() -> Iterator[Holders]:
    started = Holders()
    try:
        yield started
    finally:
        started.kill_all()


def wait_until(condition: Callable[[], object], timeout: float, step: float = 0.05) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(step)
    return time.monotonic() - start


# --- A local environment on the sandbox platform (reconcile-core) ------------------------------

LOCAL_FOLDERS = ("environments", "releases", "migrations", "policies")


def _free_ports(count: int) -> list[int]:
    import socket

    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in ports:
            ports.append(port)
    return ports


def stop_local_platform(repo: Path, environment: str = "local") -> None:
    """`qm down`'s library call, then a sweep of every pid a state file names (by pid, ours only)."""
    from quantmatrix.model.runtime import COMPONENTS

    try:
        from quantmatrix.reconcile.connect import connect
        from quantmatrix.repo.loader import load

        connected = connect(load(repo), environment, repo, create=False)
        try:
            for component in reversed(COMPONENTS):
                connected.driver.stop(component)
        finally:
            connected.close()
    except Exception:  # noqa: BLE001 - the sweep below still runs (by pid; a paper copy may miss its secrets by now)
        pass
    stop_platform(repo, environment)


def stop_platform(root: Path, environment: str) -> None:
    """Every process a process-driver state file under `root/.qm/` names, by pid (ours only)."""
    from quantmatrix.runtime.drivers import procs
    from quantmatrix.runtime.drivers.process import ProcessState

    for state_file in (root / ".qm" / environment).glob("*.json"):
        try:
            state = ProcessState.model_validate_json(state_file.read_bytes())
        except Exception:  # noqa: BLE001
            continue
        for process in (state, state.previous):
            if process is not None and procs.is_ours(process.pid, process.started):
                os.kill(process.pid, signal.SIGKILL)


def copy_local_repo(repo: Path) -> Path:
    """A copy of the sample repository at `repo` with local's api, workers and ui on free ports
    (serves `local_repo` here and the status page's `applied_local`)."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    for folder in LOCAL_FOLDERS:
        shutil.copytree(root / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    api, workers, ui = _free_ports(3)
    local = repo / "environments" / "local.yaml"
    text = local.read_text()
    replacements = (
        ("api: {port: 8000}", f"api: {{port: {api}}}"),
        ("workers: {port: 8001}", f"workers: {{port: {workers}}}"),
        ("ui: {port: 5173}", f"ui: {{port: {ui}}}"),
        ("127.0.0.1:8000", f"127.0.0.1:{api}"),
        ("127.0.0.1:5173", f"127.0.0.1:{ui}"),
    )
    # Through placeholders: replaced one after another, a new port beginning with an old one
    # (api 51731 then "127.0.0.1:5173" → ui) would be rewritten again into an invalid port.
    for index, (old, _new) in enumerate(replacements):
        assert old in text, old
        text = text.replace(old, f"\0{index}\0")
    for index, (_old, new) in enumerate(replacements):
        text = text.replace(f"\0{index}\0", new)
    local.write_text(text)
    return repo


@pytest.fixture
def local_repo(tmp_path: Path) -> Iterator[Path]:
    """The sample repository with local's three sandbox components on free fixed ports; every
    process it starts is stopped by pid afterwards, whatever the test did."""
    repo = copy_local_repo(tmp_path / "repo")
    try:
        yield repo
    finally:
        for folder in sorted((repo / ".qm").glob("*/")):
            if any(folder.glob("*.json")):
                stop_local_platform(repo, folder.name)


def run_qm(repo: Path, *args: str, failpoints: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`qm ARGS` as its own process in `repo` (a crash must kill a real process, not pytest);
    it inherits os.environ, where tests put the secrets the environment resolves."""
    env = {**os.environ, "QM_FAILPOINTS": failpoints, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "quantmatrix", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def qm_run() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_qm


# --- A paper-like environment (PostgreSQL state store and trading schema, Redis control keys) ---


def make_paper_like(repo: Path, prefix: str) -> None:
    """Turn paper in a `copy_local_repo` copy into a paper-like environment on this machine:
    local's process driver on its free ports (the sandbox), the control keys in Redis under
    `prefix`, any hour a deploy window, and an expiring waiver of QM-RUN-002 (paper refuses the
    sandbox) — how such an exception is made on purpose. Its secrets QM_PAPER_POSTGRES_URL and
    QM_PAPER_REDIS_URL are the caller's to set (`paper_repo`; test_apply_faults's module platform)."""
    local = (repo / "environments" / "local.yaml").read_text()
    process = local[local.index("  runtime:") : local.index("    checks:")]  # local's process driver on its free ports
    paper = repo / "environments" / "paper.yaml"
    text = paper.read_text()
    start = text.index("  runtime:")
    end = text.index("    checks:", start)
    text = text[:start] + process + text[end:]
    text = text.replace('key_prefix: "qm:paper:"', f'key_prefix: "{prefix}"')
    text = text.replace("base_url: https://paper.qm.internal/api", "base_url: http://127.0.0.1:9/api").replace(
        "url: https://paper.qm.internal", "url: http://127.0.0.1:9"
    )
    assert "    allow: market_closed\n    margin_minutes: 15\n" in text
    paper.write_text(text.replace("    allow: market_closed\n    margin_minutes: 15\n", "    allow: any_time\n"))
    expires = (date.today() + timedelta(days=30)).isoformat()
    (repo / "policies" / "waivers.yaml").write_text(
        "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n"
        + "".join(
            f"  - {{rule: QM-RUN-002, target: environments.paper.spec.runtime.process.components.{c}, reason: reconciler test on the sandbox, approver: sam.cto, expires: {expires}}}\n"
            for c in ("api", "workers", "ui")
        )
    )


@pytest.fixture
def paper_repo(
    local_repo: Path, pg_admin: Any, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str, str]]:
    """`local_repo` with paper made paper-like here: (repository, store URL, Redis key prefix).
    Paper's store and trading schema in a PostgreSQL database of its own, its control keys in
    Redis under a prefix of its own, local's sandbox processes on their free ports (under an
    expiring QM-RUN-002 waiver), the deploy window open at any hour; all dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"qm_test_{secrets.token_hex(6)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(str(pg_admin.url)).set(database=name).render_as_string(hide_password=False)
    prefix = f"qmtest:{secrets.token_hex(6)}:"
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", url)
    monkeypatch.setenv("QM_PAPER_REDIS_URL", "redis://127.0.0.1:6379/0")
    make_paper_like(local_repo, prefix)
    try:
        yield local_repo, url, prefix
    finally:  # the processes are stopped by local_repo's sweep, after this
        keys = list(redis_server.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            redis_server.delete(*keys)
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
