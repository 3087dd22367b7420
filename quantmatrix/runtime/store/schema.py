"""Create or upgrade the control tables with their own alembic chain and version table.

The chain ships inside the package (`control_migrations/`) and runs without an env.py or an
alembic.ini: the environment is configured here, on the store's own connection.
Opening a store that is already current reads the version with one query and never imports
alembic (a third of a second of a no-op apply's budget).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from quantmatrix.runtime.store.engine import CONTROL_SCHEMA, Store

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

CONTROL_MIGRATIONS = Path(__file__).resolve().parent / "control_migrations"
CONTROL_VERSION_TABLE = "qm_control_version"
CONTROL_HEAD = "c0003_changes_basis"  # the chain's head (a test keeps it equal to alembic's)
_LOCK_KEY = 0x716D_6374  # advisory lock: two processes opening a fresh store do not race


def _script() -> tuple[Config, ScriptDirectory]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

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
    from alembic.runtime.migration import MigrationContext

    with store.begin(readonly=True) as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": CONTROL_VERSION_TABLE, "version_table_schema": _version_schema(conn)}
        )
        return context.get_current_revision()


def ensure_control_schema(store: Store) -> None:
    """Upgrade only when the version table does not already say CONTROL_HEAD."""
    schema = f"{CONTROL_SCHEMA}." if store.dialect == "postgresql" else ""
    try:
        with store.begin(readonly=True) as conn:
            versions = [
                row[0] for row in conn.execute(text(f"SELECT version_num FROM {schema}{CONTROL_VERSION_TABLE}"))
            ]
    except SQLAlchemyError:
        versions = []  # no version table yet
    if versions != [CONTROL_HEAD]:
        upgrade_control_schema(store)


def upgrade_control_schema(store: Store, revision: str = "head") -> None:
    """Idempotent: already at `revision` → nothing runs."""
    from alembic.runtime.environment import EnvironmentContext

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
    from alembic.runtime.environment import EnvironmentContext

    config, script = _script()

    def steps(current: Any, _context: MigrationContext) -> Any:
        return script._downgrade_revs(revision, current)

    with store.begin() as conn:
        with EnvironmentContext(config, script, fn=steps, destination_rev=revision) as env:
            env.configure(
                connection=conn, version_table=CONTROL_VERSION_TABLE, version_table_schema=_version_schema(conn)
            )
            with env.begin_transaction():
                env.run_migrations()
