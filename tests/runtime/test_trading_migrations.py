"""The repository's migrations/ up and down on SQLite and PostgreSQL, through alembic.command."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from quantmatrix.errors import ConfigError
from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.trading_schema import (
    MigrationFailed,
    downgrade_schema,
    known_revisions,
    migrations_dir,
    schema_revision,
    upgrade_schema,
)

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = migrations_dir(ROOT)
TRADING = {"accounts", "orders", "fills", "positions", "reconciliation_runs"}


def _versions(store) -> list[str]:
    with store.begin() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


def _indexes(store, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(store.engine).get_indexes(table)}


def test_the_chain_is_the_one_the_releases_pin() -> None:
    assert known_revisions(MIGRATIONS) == ["0001_baseline", "0002_fills_exec_time_idx"]


def test_up_and_down_where_reversible(store_url: str) -> None:
    store = open_store(store_url)
    assert schema_revision(store) is None
    assert upgrade_schema(store, MIGRATIONS, "0001_baseline") == "0001_baseline"
    assert TRADING <= set(inspect(store.engine).get_table_names())
    assert "ix_fills_exec_time" not in _indexes(store, "fills")
    assert upgrade_schema(store, MIGRATIONS, "0002_fills_exec_time_idx") == "0002_fills_exec_time_idx"
    assert "ix_fills_exec_time" in _indexes(store, "fills")
    # applied once: a second upgrade runs nothing and the version table holds one row
    assert upgrade_schema(store, MIGRATIONS, "0002_fills_exec_time_idx") == "0002_fills_exec_time_idx"
    assert _versions(store) == ["0002_fills_exec_time_idx"]
    # 2026.11.0 declares 0002 reversible: it goes down
    assert downgrade_schema(store, MIGRATIONS, "0001_baseline") == "0001_baseline"
    assert "ix_fills_exec_time" not in _indexes(store, "fills")
    # 2026.10.0 declares 0001 irreversible: refused, schema untouched
    with pytest.raises(MigrationFailed) as caught:
        downgrade_schema(store, MIGRATIONS, "base")
    assert "0001_baseline is not reversible" in str(caught.value)
    assert schema_revision(store) == "0001_baseline" and TRADING <= set(inspect(store.engine).get_table_names())
    store.close()


def test_an_unknown_revision_fails_cleanly(store_url: str) -> None:
    store = open_store(store_url)
    with pytest.raises(MigrationFailed) as caught:
        upgrade_schema(store, MIGRATIONS, "0099_nowhere")
    assert "alembic:" in str(caught.value) and "0099_nowhere" in str(caught.value)
    assert schema_revision(store) is None
    store.close()


def test_upgrading_to_an_older_revision_is_refused_not_a_silent_downgrade(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    upgrade_schema(store, MIGRATIONS, "0002_fills_exec_time_idx")
    with pytest.raises(MigrationFailed):
        upgrade_schema(store, MIGRATIONS, "0001_baseline")
    assert schema_revision(store) == "0002_fills_exec_time_idx"
    store.close()


def test_a_migration_that_fails_halfway_leaves_nothing_behind(store_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "migrations"
    (broken / "versions").mkdir(parents=True)
    (broken / "env.py").write_text((MIGRATIONS / "env.py").read_text())
    (broken / "versions" / "0001_half.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\nrevision = '0001_half'\ndown_revision = None\n"
        "def upgrade() -> None:\n    op.create_table('half', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.execute('SELECT * FROM no_such_table')\n"
    )
    store = open_store(store_url)
    with pytest.raises(Exception):  # noqa: B017  (whatever the driver raises: the point is the rollback)
        upgrade_schema(store, broken, "0001_half")
    assert "half" not in inspect(store.engine).get_table_names()
    assert schema_revision(store) is None
    store.close()


def test_the_trading_tables_are_real(store_url: str) -> None:
    store = open_store(store_url)
    upgrade_schema(store, MIGRATIONS, "0002_fills_exec_time_idx")
    now = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    with store.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, broker, account_ref, account_type, currency, cash_balance) VALUES (1, 'dry-run', 'local', 'dry_run', 'USD', 100000.1234)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO orders (id, account_id, client_order_id, symbol, side, order_type, quantity, limit_price, status) VALUES (1, 1, 'c-1', 'AAPL', 'buy', 'limit', 10.5, 190.12345678, 'filled')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO fills (order_id, broker_fill_id, quantity, price, exec_time) VALUES (1, 'f-1', 10.5, 190.12345678, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO positions (account_id, symbol, quantity, avg_price) VALUES (1, 'AAPL', 10.5, 190.12345678)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reconciliation_runs (account_id, kind, started_at, status) VALUES (1, 'post_deploy', :t, 'matched')"
            ),
            {"t": now},
        )
    with store.begin() as conn:
        price = conn.execute(text("SELECT price FROM fills")).scalar()
        assert Decimal(str(price)) == Decimal("190.12345678")  # numeric, not float
    bad = [
        "INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity, status) VALUES (1, 'c-1', 'AAPL', 'buy', 'market', 1, 'new')",  # duplicate client id
        "INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity, status) VALUES (1, 'c-2', 'AAPL', 'buy', 'market', 0, 'new')",  # zero quantity
        "INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity, status) VALUES (1, 'c-3', 'AAPL', 'hold', 'market', 1, 'new')",  # bad side
        "INSERT INTO orders (account_id, client_order_id, symbol, side, order_type, quantity, status) VALUES (9, 'c-4', 'AAPL', 'buy', 'market', 1, 'new')",  # no such account
        "INSERT INTO fills (order_id, broker_fill_id, quantity, price, exec_time) VALUES (9, 'f-9', 1, 1, '2026-11-20')",  # no such order
        "INSERT INTO positions (account_id, symbol, quantity, avg_price) VALUES (1, 'AAPL', 1, 1)",  # one position per symbol
    ]
    for statement in bad:
        with pytest.raises(IntegrityError):
            with store.begin() as conn:
                conn.execute(text(statement))
    store.close()


def test_concurrent_upgrades_apply_each_revision_once(pg_url: str) -> None:
    stores = [open_store(pg_url) for _ in range(3)]
    errors: list[BaseException] = []

    def upgrade(store) -> None:
        try:
            upgrade_schema(store, MIGRATIONS, "0002_fills_exec_time_idx")
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=upgrade, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _versions(stores[0]) == ["0002_fills_exec_time_idx"]
    for s in stores:
        s.close()


def test_a_repository_without_an_alembic_environment_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        migrations_dir(tmp_path)
    assert "migrations/env.py is missing" in str(caught.value)
