"""Migrate the QuantMatrix trading schema with the repository's `migrations/` (alembic).

The migrations are part of the desired-state repository: the commit being applied carries the
revisions its releases pin (and `qm validate` has cross-checked them statically). They run
through `alembic.command` with a `Config` built here, on one connection in one transaction:
on PostgreSQL a crash leaves the schema and alembic's version table (`alembic_version`)
exactly as before, and an advisory lock keeps two upgrades apart, so each revision is applied
at most once. The version is read back and verified after every apply (guide §10).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text

from quantmatrix.errors import ConfigError, Problem, QMError
from quantmatrix.runtime.store.engine import Store

_LOCK_KEY = 0x716D_7472  # advisory lock of trading-schema migrations


class MigrationFailed(QMError):
    """A migration failed or the schema is not at the revision it should be after applying."""


def migrations_dir(repo_root: str | Path) -> Path:
    directory = Path(repo_root) / "migrations"
    if not (directory / "env.py").is_file():
        raise ConfigError(Problem(str(directory), message="no alembic environment here (migrations/env.py is missing)"))
    return directory


def _config(directory: Path, conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(directory))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def schema_revision(store: Store) -> str | None:
    """The trading schema's revision (None: never migrated)."""
    with store.begin(readonly=True) as conn:
        return _current(conn)


def known_revisions(directory: Path) -> list[str]:
    """The chain, oldest first."""
    script = ScriptDirectory.from_config(_config(directory))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _migrate(store: Store, directory: Path, revision: str, upgrade: bool) -> str:
    try:
        with store.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            if upgrade:
                command.upgrade(_config(directory, conn), revision)
            else:
                command.downgrade(_config(directory, conn), revision)
            after = _current(conn)
            wanted = None if revision == "base" else revision
            if after != wanted:
                raise MigrationFailed(
                    Problem(
                        subject="migrations",
                        message=f"schema is at {after or 'base'} after applying, not {revision}: rolled back",
                    )
                )
            return after or "base"
    except CommandError as error:
        raise MigrationFailed(Problem(subject="migrations", message=f"alembic: {error}")) from None
    except NotImplementedError as error:
        raise MigrationFailed(Problem(subject="migrations", message=f"not reversible: {error}")) from None


def upgrade_schema(store: Store, directory: Path, revision: str) -> str:
    """Bring the schema up to `revision` (already there: nothing runs). Returns the verified revision."""
    return _migrate(store, directory, revision, upgrade=True)


def downgrade_schema(store: Store, directory: Path, revision: str) -> str:
    """Only for releases that declare their migrations reversible; an irreversible revision
    raises `MigrationFailed` and leaves the schema untouched."""
    return _migrate(store, directory, revision, upgrade=False)
