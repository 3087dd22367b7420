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
from pathlib import Path

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


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(step)
    return time.monotonic() - start
