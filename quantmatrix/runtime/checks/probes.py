"""Probes for the services the checks cannot reach over HTTP: Redis (PING), PostgreSQL (SELECT 1).

A probe raises when the service is not usable; the check reports only the error's type, so
a URL with a password never reaches a message."""

from __future__ import annotations

from quantmatrix.runtime.checks.probe import Probe


def redis_probe(url: str, timeout: float = 2.0) -> Probe:
    def ping() -> object:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
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
