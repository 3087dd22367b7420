"""Which reconciler process reconciles an environment: an advisory lock held as long as it does.

Several `qm reconcile` processes against one PostgreSQL: each tries, every interval, to own
every environment it was given (`pg_try_advisory_lock` in a namespace of its own, apart from
the apply lock, on a dedicated connection). The owner keeps the session open; the others
skip the environment. When the owner dies, PostgreSQL ends its session and frees the lock,
and the next process to try takes it: failover within one interval, no consensus of ours.
Without PostgreSQL (local's SQLite), a `flock` on `.qm/locks/<environment>.owner`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from quantmatrix.reconcile.holder import Holder, checked_environment
from quantmatrix.reconcile.pg_lock import lock_key, release_session, session_holds

NAMESPACE = int.from_bytes(hashlib.blake2b(b"quantmatrix.reconcile-owner", digest_size=4).digest()) & 0x7FFFFFFF


class Owned(Protocol):
    environment: str

    def alive(self) -> bool:
        """Still ours? (False when the session died: stop acting, try again later)."""
        ...

    def release(self) -> None: ...


@dataclass
class PgOwned:
    environment: str
    _connection: Connection | None = field(repr=False)

    def alive(self) -> bool:
        return self._connection is not None and session_holds(self._connection, NAMESPACE, self.environment)

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            release_session(connection, NAMESPACE, self.environment)


@dataclass
class FileOwned:
    environment: str
    _fd: int | None = field(repr=False)

    def alive(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor frees the flock


def try_own_pg(url: str, environment: str, holder: Holder) -> PgOwned | None:
    """Own `environment` now or return None (someone else does). Raises SQLAlchemyError when
    PostgreSQL is unavailable (the loop backs off)."""
    environment = checked_environment(environment)
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, poolclass=NullPool, connect_args={"connect_timeout": 3})
    connection = engine.connect()
    try:
        connection.execute(
            text("SELECT set_config('application_name', :name, false)"),
            {"name": f"qm reconcile {environment} pid={holder.pid}"[:63]},
        )
        taken = connection.execute(
            text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": NAMESPACE, "key": lock_key(environment)}
        ).scalar_one()
        connection.commit()
    except BaseException:
        connection.invalidate()
        connection.close()
        raise
    finally:
        engine.dispose(close=False)
    if taken:
        return PgOwned(environment, connection)
    connection.invalidate()
    connection.close()
    return None


def try_own_file(root: Path, environment: str) -> FileOwned | None:
    environment = checked_environment(environment)
    folder = root / ".qm" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{environment}.owner", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return FileOwned(environment, fd)
