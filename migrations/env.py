"""Alembic environment of the QuantMatrix trading schema.

The reconciler runs it through `alembic.command` with a `Config` built in code and its own
open connection in `config.attributes["connection"]` (quantmatrix/runtime/store/trading_schema.py),
so that the migration and the version stamp commit in the caller's one transaction.
Run by hand, set `sqlalchemy.url` on the Config instead (no alembic.ini is needed).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection: pass config.attributes['connection'] or set sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
