"""Opening the state store on SQLite (embedded default) and PostgreSQL; control tables' own chain."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from quantmatrix.errors import ConfigError, ExitCode, RuntimeUnavailable
from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.schema import (
    CONTROL_VERSION_TABLE,
    control_head,
    control_revision,
    downgrade_control_schema,
)

CONTROL_TABLES = {
    "qm_audit_log",
    "qm_check_results",
    "qm_config_versions",
    "qm_control_state",
    "qm_deployments",
    "qm_drift_events",
    "qm_incidents",
    "qm_journal",
    "qm_trading_state_history",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sqlite_store_creates_its_folder_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/.qm/state.db")
    assert (tmp_path / ".qm" / "state.db").is_file()
    with store.begin() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert CONTROL_TABLES | {CONTROL_VERSION_TABLE} <= set(inspect(store.engine).get_table_names())
    store.close()


def test_postgres_control_tables_live_in_their_own_schema(pg_url: str) -> None:
    store = open_store(pg_url)
    names = set(inspect(store.engine).get_table_names(schema="qm_control"))
    assert names == CONTROL_TABLES | {CONTROL_VERSION_TABLE}
    assert inspect(store.engine).get_table_names(schema="public") == []  # the trading schema is not ours
    store.close()


def test_control_chain_is_applied_once_and_reopening_is_a_no_op(store_url: str) -> None:
    first = open_store(store_url)
    assert control_revision(first) == control_head()
    second = open_store(store_url)  # a restart: nothing to do, nothing duplicated
    assert control_revision(second) == control_head()
    schema = "qm_control." if first.dialect == "postgresql" else ""
    with second.begin() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {schema}{CONTROL_VERSION_TABLE}")).scalar() == 1
    downgrade_control_schema(second)
    remaining = set(inspect(second.engine).get_table_names(**({"schema": "qm_control"} if schema else {})))
    assert remaining.isdisjoint(CONTROL_TABLES)
    first.close(), second.close()


def test_unreachable_postgres_is_unavailable_without_the_password() -> None:
    url = f"postgresql://qm:hunter2-secret@127.0.0.1:{_free_port()}/qm"
    with pytest.raises(RuntimeUnavailable) as caught:
        open_store(url)
    assert caught.value.exit_code == ExitCode.UNAVAILABLE
    message = str(caught.value)
    assert "hunter2-secret" not in message and "***" in message and "is unavailable" in message


def test_a_sqlite_path_that_cannot_be_created_is_invalid_input(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        open_store(f"sqlite:///{tmp_path}/file/.qm/state.db")
    assert "cannot create the state store's folder" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://qm@127.0.0.1:{port}/qm?password=hunter2-secret",
        "postgres://qm:hunter2-secret@127.0.0.1:{port}/qm",
        "postgresql+psycopg://qm:hunter2-secret@127.0.0.1:{port}/qm?sslmode=disable&sslpassword=hunter2-secret",
    ],
)
def test_no_form_of_url_shows_its_password(url: str) -> None:
    with pytest.raises(RuntimeUnavailable) as caught:
        open_store(url.format(port=_free_port()))
    assert "hunter2-secret" not in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_a_store_that_goes_away_is_unavailable(sqlite_url: str, pg_url: str) -> None:
    from sqlalchemy import create_engine

    store = open_store(pg_url)
    with store.begin() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the server drops our pooled connection
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    from quantmatrix.runtime.store.deployments import deployment_history

    assert deployment_history(store) == []  # pre-ping reconnects transparently
    store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url at all", "not a database URL"),
        ("mysql://u:p@localhost/db", "unsupported database 'mysql'"),
        ("", "not a database URL"),
    ],
)
def test_bad_store_urls_are_invalid_input(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_store(url)
    assert message in str(caught.value)
    assert "p@" not in str(caught.value)


def test_sqlite_readers_do_not_wait_for_a_writer(sqlite_url: str) -> None:
    """A writer holds the write lock (a long migration, say); the control state and the history
    are still readable, instead of 'database is locked' after the busy timeout."""
    from datetime import UTC, datetime

    from quantmatrix.runtime.controlstate import ControlState, TradingState
    from quantmatrix.runtime.store.control_state import load_control, save_control
    from quantmatrix.runtime.store.deployments import deployment_history

    store = open_store(sqlite_url)
    state = ControlState(
        environment="local",
        mode="local",
        trading=TradingState.ACTIVE,
        reason="r",
        changed_by="t",
        changed_at=datetime(2026, 11, 20, tzinfo=UTC),
        risk_limits={"max_daily_loss": 250},
        config_version="c",
    )
    save_control(store, state)
    other = open_store(sqlite_url, migrate=False)
    with other.begin() as writer:  # BEGIN IMMEDIATE: the write lock is held until the block ends
        writer.execute(text("UPDATE qm_control_state SET reason = 'in flight'"))
        assert load_control(store, "local").reason == "r"  # the last committed snapshot
        assert deployment_history(store, "local") == []
    assert load_control(store, "local").reason == "in flight"
    other.close(), store.close()


def test_the_recorded_control_head_is_the_chains() -> None:
    from quantmatrix.runtime.store.schema import CONTROL_HEAD

    assert control_head() == CONTROL_HEAD


def test_a_current_store_opens_without_alembic_and_local_control_without_redis(sqlite_url: str) -> None:
    """Opening a current store and reading local control state is part of every no-op apply:
    it must not pay for importing alembic (the version is one query) or redis (local has none)."""
    import subprocess
    import sys

    open_store(sqlite_url).close()  # first open: applies the control chain
    code = (
        "import sys\n"
        "from quantmatrix.runtime.store import open_store\n"
        "from quantmatrix.runtime.control import store_control, ControlUnavailable\n"
        f"store = open_store({sqlite_url!r})\n"
        "try:\n    store_control(store, 'local').read()\nexcept ControlUnavailable:\n    pass\n"
        "print(sorted(m for m in ('alembic', 'redis') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_missing_sqlite_table_is_not_an_unavailable_service(sqlite_url: str) -> None:
    from sqlalchemy.exc import OperationalError

    store = open_store(sqlite_url)
    with pytest.raises(OperationalError):
        with store.begin() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    store.close()
