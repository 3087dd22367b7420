"""The canary's own searches find a leak where one is (so a test using them can fail): rows of
every table, and every Redis key under a prefix (the real Redis of this machine)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from canary import Canary


def test_the_database_search_reads_every_table_and_finds_a_leak(tmp_path: Path, canary: Canary) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as connection:
        connection.execute(text("create table deployments (id text, note text)"))
        connection.execute(text("create table audit (who text)"))
        connection.execute(text("insert into deployments values ('dep-1', 'ok'), ('dep-2', 'fine')"))
        connection.execute(text("insert into audit values ('dana')"))
        assert canary.assert_absent_in_database(connection) == 3
        connection.execute(text("insert into audit values (:v)"), {"v": f"oops {canary.value}"})
        with pytest.raises(AssertionError, match=r"leaked into (main\.)?audit row 2"):
            canary.assert_absent_in_database(connection)
    engine.dispose()


@pytest.fixture
def redis_client():  # the machine's Redis (127.0.0.1:6379 or QM_TEST_REDIS_URL); a unique prefix, cleaned
    import redis

    client = redis.Redis.from_url(os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable under CI: {error}")
        pytest.skip(f"SKIPPED LOUDLY: Redis is not reachable: {error}")
    prefix = f"qmtest:canary:{secrets.token_hex(4)}:"
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_the_redis_search_reads_every_key_of_every_type_and_finds_a_leak(redis_client, canary: Canary) -> None:
    client, prefix = redis_client
    client.set(prefix + "mode", "local")
    client.hset(prefix + "trading", mapping={"state": "HALTED", "reason": "test"})
    client.rpush(prefix + "log", "a", "b")
    client.sadd(prefix + "blocked", "GME")
    assert canary.assert_absent_in_redis(client, prefix) == 4
    client.hset(prefix + "trading", "changed_by", canary.value)
    with pytest.raises(AssertionError, match="leaked into Redis key"):
        canary.assert_absent_in_redis(client, prefix)
