"""The control keys the trading processes read: Redis mirror, or the store for local.

Keys, under the environment's `redis.key_prefix` P (values are UTF-8 strings):

    P mode             local | paper | live | backtest
    P trading          JSON {"state": ACTIVE|REDUCING|HALTED, "reason", "changed_by", "changed_at"}
    P risk_limits      JSON object of limit name -> number (plus "currency" is not a limit: left out)
    P blocked_symbols  JSON list of symbols
    P strategies       JSON list of {"name", "version", "enabled", "capital"}
    P config_version   content hash of the effective configuration (`config_version`)
    P environment      environment name
    P version          write counter (integer)

Every write is one MULTI/EXEC that sets all keys, bumps `version` and publishes
`{"version", "trading", "config_version"}` on `notification_channel(P)`. With a store, the
store is written first (the source of truth) and Redis mirrors it; `rebuild_mirror` rewrites
Redis from the store. Any key missing or unreadable → `ControlUnavailable` → NOT trading.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from quantmatrix.errors import Problem, RuntimeUnavailable
from quantmatrix.model.environment import Environment
from quantmatrix.runtime.controlstate import (
    ControlConflict,
    ControlState,
    ControlUnavailable,
    StrategyPin,
    TradingState,
)
from quantmatrix.runtime.store.control_state import load_control, save_control
from quantmatrix.runtime.store.engine import Store

if TYPE_CHECKING:  # redis is imported where it is used: local, on the store only, never loads it
    import redis

__all__ = [
    "KEYS",
    "ControlConflict",
    "ControlPlane",
    "ControlState",
    "ControlUnavailable",
    "StrategyPin",
    "TradingState",
    "config_version",
    "control_from_environment",
    "notification_channel",
    "rebuild_mirror",
    "redis_control",
    "store_control",
]

KEYS = ("environment", "mode", "trading", "risk_limits", "blocked_symbols", "strategies", "config_version", "version")
CAS_DEADLINE_SECONDS = 10.0  # optimistic writers retry (with jittered backoff) this long, then give up


def _attempts() -> Iterator[int]:
    """Attempt numbers until the deadline, sleeping a growing random while between them."""
    deadline = time.monotonic() + CAS_DEADLINE_SECONDS
    attempt = 0
    while True:
        yield attempt
        attempt += 1
        if time.monotonic() > deadline:
            return
        time.sleep(random.uniform(0, min(0.05, 0.0005 * 2**attempt)))


class ControlPlane(Protocol):
    def read(self) -> ControlState:
        """The current state; raises `ControlUnavailable` (→ not trading)."""
        ...

    def write(self, state: ControlState, expected_version: int | None = None) -> ControlState:
        """Write all keys at once as the next version (compare-and-set with `expected_version`)."""
        ...

    def set_trading(self, trading: TradingState, reason: str, changed_by: str) -> ControlState: ...


def notification_channel(prefix: str) -> str:
    return f"{prefix}events"


def config_version(environment: Environment) -> str:
    """sha256 of the canonical JSON of the effective environment (secret references stay names)."""
    data = {"name": environment.metadata.name, "spec": environment.spec.model_dump(mode="json")}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def control_from_environment(
    environment: Environment, *, trading: TradingState, reason: str, changed_by: str, now: datetime
) -> ControlState:
    """The control state the desired environment asks for (strategy params left out)."""
    spec = environment.spec
    limits = spec.risk.model_dump(exclude={"currency"})
    return ControlState(
        environment=environment.metadata.name,
        mode=spec.mode,
        trading=trading,
        reason=reason,
        changed_by=changed_by,
        changed_at=now,
        risk_limits=limits,
        blocked_symbols=tuple(spec.blocked_symbols),
        strategies=tuple(
            StrategyPin(name=s.name, version=s.version, enabled=s.enabled, capital=s.capital) for s in spec.strategies
        ),
        config_version=config_version(environment),
    )


def _now() -> datetime:
    return datetime.now(UTC)


def encode(state: ControlState) -> dict[str, str]:
    data = state.model_dump(mode="json")
    return {
        "environment": state.environment,
        "mode": data["mode"],
        "trading": json.dumps(
            {
                "state": data["trading"],
                "reason": state.reason,
                "changed_by": state.changed_by,
                "changed_at": data["changed_at"],
            }
        ),
        "risk_limits": json.dumps(data["risk_limits"], sort_keys=True),
        "blocked_symbols": json.dumps(data["blocked_symbols"]),
        "strategies": json.dumps(data["strategies"]),
        "config_version": state.config_version,
        "version": str(state.version),
    }


def decode(values: dict[str, Any], where: str) -> ControlState:
    """Raise `ControlUnavailable` for any missing, non-UTF-8, non-JSON or ill-typed key."""
    text: dict[str, str] = {}
    for key in KEYS:
        value = values.get(key)
        if value is None:
            raise ControlUnavailable(f"control key {where}{key} is missing: not trading")
        try:
            text[key] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        except UnicodeDecodeError:
            raise ControlUnavailable(f"control key {where}{key} is not UTF-8: not trading") from None
    try:
        trading = json.loads(text["trading"])
        if not isinstance(trading, dict):
            raise ValueError("trading must be an object")
        return ControlState(
            environment=text["environment"],
            mode=text["mode"],  # pydantic validates it
            trading=trading.get("state"),
            reason=trading.get("reason"),
            changed_by=trading.get("changed_by"),
            changed_at=trading.get("changed_at"),
            risk_limits=json.loads(text["risk_limits"]),
            blocked_symbols=json.loads(text["blocked_symbols"]),
            strategies=json.loads(text["strategies"]),
            config_version=text["config_version"],
            version=int(text["version"]),
        )
    except (ValueError, TypeError, ValidationError) as error:
        kind = f"{error.error_count()} invalid field(s)" if isinstance(error, ValidationError) else "unreadable"
        raise ControlUnavailable(f"control keys under {where} are malformed ({kind}): not trading") from None


def _redis_down(prefix: str, error: Exception) -> RuntimeUnavailable:
    return RuntimeUnavailable(
        Problem(subject="redis", message=f"control keys {prefix}*: Redis is unavailable: {type(error).__name__}")
    )


def _changed(state: ControlState, trading: TradingState, reason: str, changed_by: str) -> ControlState:
    return state.model_copy(
        update={"trading": trading, "reason": reason, "changed_by": changed_by, "changed_at": _now()}
    )


def _retry_cas(
    read: Callable[[], ControlState],
    write: Callable[[ControlState, int], ControlState],
    change: Callable[[ControlState], ControlState],
) -> ControlState:
    for _ in _attempts():
        current = read()
        try:
            return write(change(current), current.version)
        except ControlConflict:
            continue
    raise ControlConflict("control state: too many concurrent writers")


class RedisControl:
    """Control keys in Redis; with a store, the store is written first and Redis mirrors it."""

    def __init__(self, client: redis.Redis, prefix: str, store: Store | None, environment: str | None):
        self.client, self.prefix, self.store, self.environment = client, prefix, store, environment

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def read(self) -> ControlState:
        from redis import RedisError

        try:
            values = self.client.mget([self._key(k) for k in KEYS])
        except RedisError as error:
            raise ControlUnavailable(
                f"control keys {self.prefix}*: Redis is unavailable ({type(error).__name__}): not trading"
            ) from None
        return decode(dict(zip(KEYS, values, strict=True)), self.prefix)

    def mirror(self, state: ControlState, *, force: bool = False) -> ControlState:
        """Set every key to `state` exactly (its version included) in one MULTI/EXEC, and notify.

        Two writers commit to the store in one order but may reach Redis in the other: a mirror
        never replaces a newer version (WATCH on the counter), so a halt written after an
        ACTIVE cannot be overwritten by it. `force` (a rebuild) writes whatever Redis holds."""
        # unless forced, a newer state already mirrored stays
        return self._watched_write(lambda current: (state, force or current < state.version))

    def write(self, state: ControlState, expected_version: int | None = None) -> ControlState:
        if self.store is not None:
            saved = save_control(self.store, self._own(state), expected_version)
            return self.mirror(saved)
        return self._write_redis_only(state, expected_version)

    def _own(self, state: ControlState) -> ControlState:
        if self.environment is not None and state.environment != self.environment:
            raise ValueError(f"control state of {state.environment} written to the keys of {self.environment}")
        return state

    def _write_redis_only(self, state: ControlState, expected_version: int | None) -> ControlState:
        def next_state(current: int) -> tuple[ControlState, bool]:
            if current < 0:
                raise ControlUnavailable(f"control key {self._key('version')} is not a counter: not trading")
            if expected_version is not None and expected_version != current:
                raise ControlConflict(f"control keys {self.prefix}* are at version {current}, not {expected_version}")
            return self._own(state).model_copy(update={"version": current + 1}), True

        return self._watched_write(next_state)

    def _watched_write(self, decide: Callable[[int], tuple[ControlState, bool]]) -> ControlState:
        """One optimistic MULTI/EXEC on every key: WATCH the version counter, `decide(current)`
        gives the state and whether to write it, then set the keys and notify; retried when
        another writer got in between. Serves `mirror` and the Redis-only `write`."""
        from redis import RedisError, WatchError

        version_key = self._key("version")
        try:
            with self.client.pipeline(transaction=True) as pipe:
                for _ in _attempts():
                    try:
                        pipe.watch(version_key)  # type: ignore[no-untyped-call]
                        state, write = decide(_version(pipe.get(version_key)))
                        if not write:
                            pipe.unwatch()
                            return state
                        pipe.multi()
                        pipe.mset({self._key(k): v for k, v in encode(state).items()})
                        pipe.publish(notification_channel(self.prefix), _notice(state))
                        pipe.execute()
                        return state
                    except WatchError:
                        continue
        except RedisError as error:
            raise _redis_down(self.prefix, error) from None
        raise ControlConflict(f"control keys {self.prefix}*: too many concurrent writers")

    def set_trading(self, trading: TradingState, reason: str, changed_by: str) -> ControlState:
        if self.store is not None:
            store, environment = self.store, self.environment or ""
            return _retry_cas(
                lambda: _stored(store, environment), self.write, lambda s: _changed(s, trading, reason, changed_by)
            )
        return _retry_cas(self.read, self.write, lambda s: _changed(s, trading, reason, changed_by))


def _version(raw: Any) -> int:
    """The counter in Redis: 0 when absent, -1 when it is not a non-negative integer."""
    if raw is None:
        return 0
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return -1
    return value if value >= 0 else -1


def _notice(state: ControlState) -> str:
    return json.dumps(
        {"version": state.version, "trading": state.trading.value, "config_version": state.config_version}
    )


def _stored(store: Store, environment: str) -> ControlState:
    try:
        state = load_control(store, environment)
    except (RuntimeUnavailable, SQLAlchemyError) as error:
        # unreachable store, or one without the control tables: fail closed, like a lost key
        raise ControlUnavailable(
            f"control state of {environment}: the store cannot be read ({type(error).__name__}): not trading"
        ) from None
    if state is None:
        raise ControlUnavailable(f"no control state for {environment} in the store: not trading")
    return state


class StoreControl:
    """The same control state for an environment without Redis (local): the store only."""

    def __init__(self, store: Store, environment: str):
        self.store, self.environment = store, environment

    def read(self) -> ControlState:
        return _stored(self.store, self.environment)

    def write(self, state: ControlState, expected_version: int | None = None) -> ControlState:
        if state.environment != self.environment:
            raise ValueError(f"control state of {state.environment} written to the store of {self.environment}")
        return save_control(self.store, state, expected_version)

    def set_trading(self, trading: TradingState, reason: str, changed_by: str) -> ControlState:
        return _retry_cas(self.read, self.write, lambda s: _changed(s, trading, reason, changed_by))


def redis_control(
    client: redis.Redis, prefix: str, store: Store | None = None, environment: str | None = None
) -> ControlPlane:
    """Control keys under `prefix`; pass the store (and the environment) to make it a mirror."""
    if store is not None and environment is None:
        raise ValueError("a store-backed Redis mirror needs the environment name")
    return RedisControl(client, prefix, store, environment)


def store_control(store: Store, environment: str) -> ControlPlane:
    return StoreControl(store, environment)


def rebuild_mirror(client: redis.Redis, prefix: str, store: Store, environment: str) -> ControlState | None:
    """Rewrite the Redis keys from the store. No state in the store → the keys are deleted, so
    that readers fail closed instead of trusting a stale mirror."""
    from redis import RedisError

    state = load_control(store, environment)
    control = RedisControl(client, prefix, store, environment)
    if state is None:
        try:
            client.delete(*(control._key(k) for k in KEYS))
        except RedisError as error:
            raise _redis_down(prefix, error) from None
        return None
    return control.mirror(state, force=True)
