"""Open the state store: PostgreSQL (paper, live) or SQLite under `.qm/` (local), same code.

On PostgreSQL the control tables live in their own schema `qm_control`, apart from the
trading schema; SQLite has no schemas, so there the same tables sit in the main database
(their `qm_` name prefix keeps them apart). URLs are never shown with their password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from quantmatrix.errors import ConfigError, Problem, RuntimeUnavailable

CONTROL_SCHEMA = "qm_control"
CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Store:
    """An open store. `label` is the URL without its password, safe to print."""

    engine: Engine
    label: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self, *, readonly: bool = False) -> Iterator[Connection]:
        """One transaction; a lost connection becomes `RuntimeUnavailable` (exit 3). On SQLite a
        `readonly` transaction does not take the write lock, so readers (the sandbox polling its
        control state, `qm status`) never wait for a migration or an apply."""
        try:
            with self.engine.connect() as conn:
                if readonly:
                    conn.execution_options(qm_readonly=True)
                with conn.begin():
                    yield conn
        except DBAPIError as error:
            if error.connection_invalidated or _is_connection_error(self.dialect, error):
                raise unavailable(self.label, error) from None
            raise

    @contextmanager
    def reads(self) -> Iterator[Connection]:
        """A connection for a few reads that need no transaction of their own: on PostgreSQL
        in autocommit (READ COMMITTED gives each statement its own snapshot inside a
        transaction too, so BEGIN and COMMIT would only add two round trips); elsewhere a
        read-only transaction."""
        if self.dialect != "postgresql":
            with self.begin(readonly=True) as conn:
                yield conn
            return
        try:
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as error:
            if error.connection_invalidated or _is_connection_error(self.dialect, error):
                raise unavailable(self.label, error) from None
            raise

    def close(self) -> None:
        self.engine.dispose()


def safe_label(url: URL) -> str:
    """The URL with its password hidden and its query left out (libpq also takes
    `?password=`, and other parameters may carry secrets too)."""
    return url.set(query={}).render_as_string(hide_password=True)


_SQLITE_UNAVAILABLE = (
    "unable to open",
    "database is locked",
    "disk i/o error",
    "readonly database",
    "database or disk is full",
)


def _is_connection_error(dialect: str, error: DBAPIError) -> bool:
    """psycopg's OperationalError is about the connection; SQLite's also covers a missing
    table, which is not an unavailable service."""
    if type(error.orig).__name__ not in ("OperationalError", "InterfaceError"):
        return False
    return dialect != "sqlite" or any(text in str(error.orig).lower() for text in _SQLITE_UNAVAILABLE)


def unavailable(label: str, error: BaseException, password: str | None = None) -> RuntimeUnavailable:
    """First line of the driver's message, with any password scrubbed."""
    orig = getattr(error, "orig", None) or error
    reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if password:
        reason = reason.replace(password, "***")
    return RuntimeUnavailable(Problem(subject="state store", message=f"{label} is unavailable: {reason}"))


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(
            Problem(subject="state store", message="not a database URL (expected postgresql://… or sqlite:///path)")
        ) from None
    backend, _, driver = parsed.drivername.partition("+")  # no dialect loading: "postgres" has none
    if backend in ("postgresql", "postgres") and driver in ("psycopg", "psycopg2", ""):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed
    raise ConfigError(
        Problem(subject="state store", message=f"unsupported database '{parsed.drivername}' (use postgresql or sqlite)")
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would run DDL outside any transaction: take over BEGIN ourselves (see _sqlite_begin)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE: DDL and DML in one real transaction, and the write lock taken up front,
    so that read-then-write transactions (compare-and-set, migrations) never deadlock.
    Read-only transactions use a plain BEGIN: under WAL they read a snapshot without waiting."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("qm_readonly") else "BEGIN IMMEDIATE")


def create_store_engine(url: str) -> tuple[Engine, str, str | None]:
    """(engine, safe label, password) for `url`; creates `.qm/`-style parent folders for SQLite."""
    parsed = _parse(url)
    label = safe_label(parsed)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        kwargs: dict[str, Any] = {}
        if database == ":memory:":
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    Problem(str(folder), message=f"cannot create the state store's folder: {error.strerror}")
                ) from None
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        # no schemas in SQLite: the control tables' schema maps to the main database
        engine = engine.execution_options(schema_translate_map={CONTROL_SCHEMA: None})
    else:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    return engine, label, parsed.password if isinstance(parsed.password, str) else None


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect (exit 3 if unreachable) and bring the control tables to their newest revision."""
    engine, label, password = create_store_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        engine.dispose()
        raise unavailable(label, error, password) from None
    store = Store(engine, label)
    if migrate:
        from quantmatrix.runtime.store.schema import ensure_control_schema

        ensure_control_schema(store)
    return store
