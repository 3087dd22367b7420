"""Build the control reader the sandbox obeys, from its command-line options.

Redis (`--redis-url`, `--prefix`) for paper and live; the state store (`--store-url`,
`--environment`) for local without Redis. URLs embed credentials: they are read from the
environment variables QM_SANDBOX_REDIS_URL / QM_SANDBOX_STORE_URL by preference (never on a
command line that `ps` shows), and no message repeats them. Redis is connected lazily (Redis
down at start: the sandbox serves, not trading); the store is opened at start (exit 3 when
unreachable, exit 2 for a URL it does not support).
"""

from __future__ import annotations

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.sandbox.control import ControlReader


def control_reader(
    redis_url: str | None, prefix: str | None, store_url: str | None, environment: str | None
) -> ControlReader | None:
    """The reader, or None when no source is given (the sandbox then does not trade)."""
    if redis_url and store_url:
        raise ConfigError(Problem(subject="sandbox", message="give either --redis-url or --store-url, not both"))
    if redis_url:
        if not prefix:
            raise ConfigError(
                Problem(subject="--prefix", message="--redis-url needs --prefix (the environment's redis.key_prefix)")
            )
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from quantmatrix.runtime.control import redis_control

        try:  # no retries: an order or /health while Redis is down fails closed at once, not after seconds
            client = redis.Redis.from_url(
                redis_url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0)
            )
        except ValueError:
            raise ConfigError(
                Problem(subject="--redis-url", message="not a Redis URL (redis://, rediss:// or unix://)")
            ) from None
        return redis_control(client, prefix).read
    if store_url:
        if not environment:
            raise ConfigError(
                Problem(
                    subject="--environment", message="--store-url needs --environment (whose control state to read)"
                )
            )
        from quantmatrix.runtime.control import store_control
        from quantmatrix.runtime.store import open_store

        # a reader never creates tables; an unreachable store at start is exit 3 (RuntimeUnavailable)
        return store_control(open_store(store_url, migrate=False), environment).read
    return None
