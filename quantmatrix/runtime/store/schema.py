"""Create or upgrade the control tables with their own alembic chain and version table.

The chain ships inside the package (`control_migrations/`) and runs without an env.py or an
alembic.ini: the environment is configured here, on the store's own connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from quantmatrix.runtime.store.engine import CONTROL_SCHEMA, Store

CONTROL_MIGRATIONS = Path(__file__).resolve().parent / "control_migrations"
CONTROL_VERSION_TABLE = "qm_control_version"
_LOCK_KEY = 0x716D_6374  # advisory lock: two processes opening a fresh store do not race


def _script() -> tuple[Config, ScriptDirectory]:
    config = Config()
    config.set_main_option("script_location", str(CONTROL_MIGRATIONS))
    return config, ScriptDirectory.from_config(config)


def _version_schema(conn: Connection) -> str | None:
    return CONTROL_SCHEMA if conn.dialect.name == "postgresql" else None


def control_head() -> str:
    head = _script()[1].get_current_head()
    assert head is not None, "the control chain has revisions"
    return head


def control_revision(store: Store) -> str | None:
    """The control tables' current revision (None before the first upgrade)."""
    with store.begin(readonly=True) as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": CONTROL_VERSION_TABLE, "version_table_schema": _version_schema(conn)}
        )
        return context.get_current_revision()


def upgrade_control_schema(store: Store, revision: str = "head") -> None:
    """Idempotent: already at `revision` → nothing runs."""
    config, script = _script()

    def steps(current: Any, _context: MigrationContext) -> Any:
        return script._upgrade_revs(revision, current)

    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {CONTROL_SCHEMA}"))
        with EnvironmentContext(config, script, fn=steps, destination_rev=revision) as env:
            env.configure(
                connection=conn,
                version_table=CONTROL_VERSION_TABLE,
                version_table_schema=_version_schema(conn),
                transactional_ddl=True,
            )
            with env.begin_transaction():
                env.run_migrations()


def downgrade_control_schema(store: Store, revision: str = "base") -> None:
    """For tests and for removing the engine's tables; the trading schema is not touched."""
    config, script = _script()

    def steps(current: Any, _context: MigrationContext) -> Any:
        return script._downgrade_revs(revision, current)

    with store.begin() as conn:
        with EnvironmentContext(config, script, fn=steps, destination_rev=revision) as env:
            env.configure(connection=conn, version_table=CONTROL_VERSION_TABLE, version_table_schema=_version_schema(conn))
            with env.begin_transaction():
                env.run_migrations()
