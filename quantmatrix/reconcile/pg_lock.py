"""The apply lock on PostgreSQL: a session-level advisory lock, taken without waiting.

Key: the two-int4 form `(NAMESPACE, hash of the environment name)`. Two-int4 advisory keys
live apart from the single-bigint ones (pg_locks.objsubid 2, not 1), and the namespace keeps
them apart from other applications' two-int4 keys. Two environment names whose 31-bit
hashes collide would only serialise each other's applies, never let two run at once, and
the refusal names the holder's environment, so a collision is visible and harmless.

The lock lives on one dedicated connection whose `application_name` says who holds it; a
holder that dies ends its session and PostgreSQL frees the lock. The connection is never
returned to a pool: a pooled session would keep the lock after the apply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from quantmatrix.errors import RuntimeUnavailable
from quantmatrix.reconcile.holder import Holder, LockHeld, LockLost, format_since, printable

NAMESPACE = int.from_bytes(hashlib.blake2b(b"quantmatrix.apply-lock", digest_size=4).digest()) & 0x7FFFFFFF
_NAME_LIMIT = 63  # PostgreSQL keeps NAMEDATALEN - 1 bytes of application_name

_HOLDER = text(
    """
    SELECT a.application_name, a.backend_start, a.pid, host(a.client_addr)
    FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.classid = CAST(:namespace AS oid) AND l.objid = CAST(:key AS oid)
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    """
)


def lock_key(environment: str) -> int:
    """A stable, non-negative int4 for `environment` (non-negative: pg_locks shows it as oid)."""
    return int.from_bytes(hashlib.blake2b(environment.encode(), digest_size=4).digest()) & 0x7FFFFFFF


def session_holds(connection: Connection, namespace: int, environment: str) -> bool:
    """Whether this connection's session holds the advisory lock `(namespace, environment)`;
    False when the session died. Serves the apply lock and reconcile ownership."""
    try:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' "
                    "AND granted AND objsubid = 2 AND classid = CAST(:namespace AS oid) AND objid = CAST(:key AS oid)"
                ),
                {"namespace": namespace, "key": lock_key(environment)},
            ).scalar_one()
        )
    except SQLAlchemyError:
        return False


def release_session(connection: Connection, namespace: int, environment: str) -> None:
    """Unlock `(namespace, environment)` and end the session for real (never back into a pool);
    a session already gone took the lock with it."""
    try:
        connection.execute(
            text("SELECT pg_advisory_unlock(:namespace, :key)"), {"namespace": namespace, "key": lock_key(environment)}
        )
    except SQLAlchemyError:
        pass  # the session is gone, and the lock with it
    finally:
        connection.invalidate()  # close the session for real: never back into the pool
        connection.close()


def application_name(environment: str, holder: Holder) -> str:
    """What pg_stat_activity shows for the lock's session, within PostgreSQL's 63 bytes;
    the start time comes from the server (backend_start), so it is never truncated away."""
    return holder.describe(environment)[:_NAME_LIMIT]


@dataclass
class PgLock:
    environment: str
    holder: Holder
    _connection: Connection | None = field(repr=False)
    kind: str = "postgresql"

    def verify(self) -> None:
        """Raise `LockLost` unless this session still holds the lock (its connection may have died)."""
        held = self._connection is not None and session_holds(self._connection, NAMESPACE, self.environment)
        if not held:
            raise LockLost(
                f"the apply lock of environment '{self.environment}' was lost (its PostgreSQL session ended)"
            )

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            release_session(connection, NAMESPACE, self.environment)


def acquire(engine: Engine, environment: str, holder: Holder) -> PgLock:
    """Take the lock without waiting, or raise `LockHeld` naming the holder and since when."""
    key = lock_key(environment)
    for _ in range(3):
        connection = _connect(engine)
        try:
            # a server that accepts connections but hangs must not hang the apply
            connection.execute(
                text(
                    "SELECT set_config('application_name', :name, false), set_config('statement_timeout', '5s', false)"
                ),
                {"name": application_name(environment, holder)},
            )
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:namespace, :key)"), {"namespace": NAMESPACE, "key": key}
            ).scalar_one()
            connection.commit()  # end the implicit transaction; the session-level lock stays
            if taken:
                return PgLock(environment, holder, connection)
            found = connection.execute(_HOLDER, {"namespace": NAMESPACE, "key": key}).first()
            connection.rollback()
        except SQLAlchemyError as error:
            connection.invalidate()
            connection.close()
            raise _unavailable(engine, error) from None
        connection.invalidate()
        connection.close()
        if found is not None:
            name, started, backend_pid, client = found
            where = f" from {client}" if client else ""
            who = (
                f"'{printable(name)}' (PostgreSQL backend {backend_pid}{where})"
                if name
                else f"PostgreSQL backend {backend_pid}{where}"
            )
            raise LockHeld(environment, who, format_since(started) if isinstance(started, datetime) else None)
        # released between our try and our look: try again
    raise LockHeld(environment, "another session that keeps taking and releasing it", None)


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except SQLAlchemyError as error:
        raise _unavailable(engine, error) from None


def _unavailable(engine: Engine, error: SQLAlchemyError) -> RuntimeUnavailable:
    """Name the server without the password; libpq's first line says what went wrong."""
    url = engine.url
    reason = str(error.orig if isinstance(error, DBAPIError) else error).strip().splitlines()[0][:200]
    return RuntimeUnavailable(
        f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''} is unavailable for the apply lock: {printable(reason)}"
    )
