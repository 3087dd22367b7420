"""Probes for the services the checks cannot reach over HTTP: Redis (PING), PostgreSQL (SELECT 1),
from a URL or from the objects the caller holds (a `redis.Redis` client's `ping` is a probe).

A probe raises when the service is not usable; the check reports only the error's type, so
a URL with a password never reaches a message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantmatrix.runtime.checks.probe import Probe

if TYPE_CHECKING:
    from quantmatrix.runtime.store import Store


def redis_probe(url: str, timeout: float = 2.0) -> Probe:
    def ping() -> object:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # one attempt: the checks retry with their own backoff and deadline
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        try:
            return client.ping()
        finally:
            client.close()

    return ping


def postgres_probe(url: str) -> Probe:
    def select_one() -> object:
        from sqlalchemy import text

        from quantmatrix.runtime.store.engine import create_store_engine

        engine, _label, _password = create_store_engine(url)  # the store's URL rules (postgresql+psycopg, sqlite)
        try:
            with engine.connect() as connection:
                return connection.execute(text("SELECT 1")).scalar()
        finally:
            engine.dispose()

    return select_one


def store_probe(store: Store) -> Probe:
    """PostgreSQL (or SQLite, for local) through the state store the caller already holds."""

    def select_one() -> object:
        from sqlalchemy import text

        with store.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar()

    return select_one
