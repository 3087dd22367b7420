"""A fresh state store per test on each backend, for the record and history tests.

tests/reconcile/conftest.py shares one PostgreSQL database across the session (the lock tests
need no more); deployment ids are numbered per environment and release, so these tests need a
database each. The server handle is the root conftest's `pg_admin` (loud skip, or failure
under CI=true, when PostgreSQL is missing)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


@contextmanager
def fresh_database(pg_admin: Engine) -> Iterator[str]:
    name = f"qm_test_{secrets.token_hex(6)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def url_for(backend: str, tmp_path: object, request: object) -> Iterator[str]:
    """The URL of a fresh store on `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/.qm/state.db"
        return
    pg_admin = request.getfixturevalue("pg_admin")  # type: ignore[attr-defined]
    with fresh_database(pg_admin) as url:
        yield url
