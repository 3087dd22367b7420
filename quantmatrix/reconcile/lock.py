"""One apply per environment at a time (issue 10).

    with acquire_apply_lock(target, "paper", this_process("apply", now)) as lock:
        ...            # lock.verify() between steps raises LockLost if the lock went away

`target` is where the environment's state store is: a PostgreSQL URL or engine (an advisory
lock, `pg_lock`) or, for SQLite and no store, the directory whose `.qm/locks/` holds the
file locks (`file_lock`). Both are taken without waiting: a second apply gets `LockHeld`
(exit 3) naming the holder and since when. Both are freed by the operating system or
PostgreSQL when their holder dies, so a dead holder never blocks the next apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.reconcile import file_lock, pg_lock
from quantmatrix.reconcile.holder import Holder, LockHeld, LockLost, checked_environment, this_process

__all__ = ["ApplyLock", "Holder", "LockHeld", "LockLost", "acquire_apply_lock", "this_process"]

LockTarget = Engine | URL | str | Path


class ApplyLock(Protocol):
    environment: str
    holder: Holder
    kind: str  # "postgresql" | "file"

    def verify(self) -> None: ...

    def release(self) -> None: ...


@contextmanager
def acquire_apply_lock(target: LockTarget, environment: str, holder: Holder) -> Iterator[ApplyLock]:
    """Hold the apply lock of `environment` for the `with` block; released however it ends."""
    environment = checked_environment(environment)
    lock = _acquire(target, environment, holder)
    try:
        yield lock
    finally:
        lock.release()


def _acquire(target: LockTarget, environment: str, holder: Holder) -> ApplyLock:
    if isinstance(target, Path):
        return file_lock.acquire(target, environment, holder)
    if isinstance(target, Engine):
        _require_postgresql(target.url)
        return pg_lock.acquire(target, environment, holder)
    url = _parse_url(target)
    _require_postgresql(url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3, as the state store uses
    # one connection for the lock's life, not pooled: its session is the lock
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        return pg_lock.acquire(engine, environment, holder)
    finally:
        engine.dispose(close=False)  # the lock's connection is closed by its release


def _parse_url(target: URL | str) -> URL:
    if isinstance(target, URL):
        return target
    try:
        return make_url(target)
    except ArgumentError:
        # the text may be a URL with a password: do not echo it
        raise ConfigError(
            Problem(subject="store", message="the state store is not a database URL (a file lock takes a directory)")
        ) from None


def _require_postgresql(url: URL) -> None:
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            Problem(
                subject="store",
                message=f"an advisory apply lock needs PostgreSQL, not {url.get_backend_name()}: pass the directory for a file lock",
            )
        )
