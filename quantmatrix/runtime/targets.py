"""Which state store holds an environment's records, for commands that only read them
(`qm history`, `qm promote --to live --evidence`).

`--store URL` wins. Otherwise the environment's `runtime.store` says: a secret URL
(PostgreSQL for paper and live), resolved through the catalog in the environment's own
scope, or a SQLite file under `.qm/` (local's embedded default `.qm/<environment>/state.db`).
A reader never creates a store: a SQLite file that does not exist means nothing was ever
deployed there (or, given as `--store`, a typo), never a new empty store.
"""

from __future__ import annotations

from pathlib import Path

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model.environment import Environment
from quantmatrix.repo.lookup import environment_named
from quantmatrix.runtime.secrets import resolve_secret
from quantmatrix.runtime.store.engine import Store, open_store
from quantmatrix.state import DesiredState


def open_store_url(url: str) -> Store:
    """Open an existing store (`sqlite:///path` must exist: a typo must not create an empty
    store that then reports "no deployments"). Exit 2 for a bad URL, 3 when unreachable."""
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            database = make_url(url).database
        except (ArgumentError, ValueError):
            raise ConfigError(
                Problem(subject="--store", message="not a database URL (expected postgresql://… or sqlite:///path)")
            ) from None
        if database and database != ":memory:" and not Path(database).expanduser().is_file():
            raise ConfigError(Problem(subject="--store", message=f"no state store at {database}"))
    return open_store(url)


def environment_of(state: DesiredState, environment: str) -> Environment:
    return environment_named(state, environment)


def open_environment_store(state: DesiredState, environment: str, repo_root: str | Path) -> Store | None:
    """The store of `environment` per its `runtime.store` (None: its SQLite store was never
    created). A secret that is undeclared or out of scope is refused (exit 1), one without a
    value is missing (exit 2); an unreachable database is exit 3."""
    env = environment_of(state, environment)
    settings = env.spec.runtime.store
    if settings.url is not None:
        if state.catalog is None:
            raise ConfigError(
                Problem("environments/secrets.yaml", message=f"no secret catalog: cannot resolve {settings.url.secret}")
            )
        return open_store(resolve_secret(state.catalog, settings.url.secret, mode=env.spec.mode).reveal())
    relative = settings.sqlite_file(environment) or f".qm/{environment}/state.db"
    sqlite_file = Path(repo_root).resolve() / relative
    return open_store(f"sqlite:///{sqlite_file}") if sqlite_file.is_file() else None
