"""Which state store holds an environment's records, for commands that only read them
(`qm history`, `qm promote --to live --evidence`).

`store_url` given (`--store URL`) wins. Otherwise local and backtest use the embedded default,
SQLite at `.qm/<environment>/state.db` under the repository; paper and live keep theirs in
PostgreSQL behind a secret, which this module does not resolve: until the environment's
`runtime` section and the secret resolver are in this tree, they need `--store`.
A reader never creates a store: a missing SQLite file is reported, not made.
"""

from __future__ import annotations

from pathlib import Path

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model.common import Mode
from quantmatrix.repo.loader import DesiredState
from quantmatrix.runtime.store.engine import Store, open_store

EMBEDDED = (Mode.local, Mode.backtest)


def default_sqlite_file(repo_root: str | Path, environment: str) -> Path:
    return Path(repo_root).resolve() / ".qm" / environment / "state.db"


def open_store_url(url: str) -> Store:
    """Open an existing store (`sqlite:///path` must exist: a typo must not create an empty
    store that then reports "no deployments"). Exit 2 for a bad URL, 3 when unreachable."""
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            database = make_url(url).database
        except (ArgumentError, ValueError):
            raise ConfigError(Problem("--store", message="not a database URL (expected postgresql://… or sqlite:///path)")) from None
        if database and database != ":memory:" and not Path(database).expanduser().is_file():
            raise ConfigError(Problem("--store", message=f"no state store at {database}"))
    return open_store(url)


def open_environment_store(state: DesiredState, environment: str, repo_root: str | Path, store_url: str | None = None) -> Store | None:
    """The store of `environment` (None: its embedded store was never created, so nothing
    was ever deployed there)."""
    if store_url is not None:
        return open_store_url(store_url)
    found = state.environments.get(environment)
    if found is None:
        known = ", ".join(sorted(state.environments)) or "none"
        raise ConfigError(Problem("environments", message=f"no environment '{environment}' (have: {known})"))
    if found.spec.mode not in EMBEDDED:
        raise ConfigError(
            Problem(f"environments/{environment}.yaml", message=f"{environment} ({found.spec.mode.value}) keeps its records in its PostgreSQL store: pass --store URL")
        )
    sqlite_file = default_sqlite_file(repo_root, environment)
    return open_store(f"sqlite:///{sqlite_file}") if sqlite_file.is_file() else None
