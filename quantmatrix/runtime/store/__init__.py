"""The engine's state store (SQLAlchemy 2, PostgreSQL or SQLite): control tables and use cases."""

from quantmatrix.runtime.store.engine import CONTROL_SCHEMA, Store, open_store

__all__ = ["CONTROL_SCHEMA", "Store", "open_store"]
