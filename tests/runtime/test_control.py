"""Control keys on the real Redis (and the store-backed twin): one MULTI/EXEC per write,
a version counter, a notification, fail closed on anything missing or malformed, and the
store as the source of truth that survives restarts and rebuilds the mirror."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from quantmatrix.errors import RuntimeUnavailable
from quantmatrix.repo.loader import load
from quantmatrix.runtime.control import (
    KEYS,
    ControlConflict,
    ControlState,
    ControlUnavailable,
    TradingState,
    config_version,
    control_from_environment,
    notification_channel,
    rebuild_mirror,
    redis_control,
    store_control,
)
from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.events import trading_history

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def state():
    return load(ROOT)


def paper_state(state, trading: TradingState = TradingState.HALTED, reason: str = "deploying") -> ControlState:
    return control_from_environment(
        state.environments["paper"], trading=trading, reason=reason, changed_by="qm", now=NOW
    )


def test_write_then_read_round_trips_every_key(state, redis_prefix) -> None:
    control = redis_control(redis_prefix.client, redis_prefix.prefix)
    written = control.write(paper_state(state))
    assert written.version == 1
    read = control.read()
    assert read == written
    assert read.mode.value == "paper" and read.blocked_symbols == ("GME", "AMC")
    assert read.risk_limits["max_daily_loss"] == 5000 and "currency" not in read.risk_limits
    assert [s.name for s in read.strategies] == ["momentum_breakout", "mean_reversion", "pairs_stat_arb"]
    raw = redis_prefix.client.get(f"{redis_prefix.prefix}trading")
    assert json.loads(raw) == {
        "state": "HALTED",
        "reason": "deploying",
        "changed_by": "qm",
        "changed_at": "2026-11-20T14:00:00Z",
    }
    assert redis_prefix.client.get(f"{redis_prefix.prefix}version") == b"1"
    assert redis_prefix.client.get(f"{redis_prefix.prefix}config_version").decode() == config_version(
        state.environments["paper"]
    )


def test_every_write_bumps_the_version_and_is_published(state, redis_prefix) -> None:
    client, prefix = redis_prefix.client, redis_prefix.prefix
    pubsub = client.pubsub()
    pubsub.subscribe(notification_channel(prefix))
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    control = redis_control(client, prefix)
    control.write(paper_state(state))
    after = control.set_trading(TradingState.ACTIVE, "checks passed", "dana.ops")
    assert after.version == 2 and after.trading is TradingState.ACTIVE and after.changed_by == "dana.ops"
    messages = [pubsub.get_message(timeout=2), pubsub.get_message(timeout=2)]
    notices = [json.loads(m["data"]) for m in messages if m and m["type"] == "message"]
    assert [(n["version"], n["trading"]) for n in notices] == [(1, "HALTED"), (2, "ACTIVE")]
    pubsub.close()


def test_writes_are_atomic_under_concurrency(state, redis_prefix) -> None:
    """Writers change every key in step (reason, config version and a limit all say n); a
    reader must never see a mix, and the counter must count every write exactly once."""
    client, prefix = redis_prefix.client, redis_prefix.prefix
    base = paper_state(state)
    redis_control(client, prefix).write(base)
    mixed: list[ControlState] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        control = redis_control(redis.Redis.from_url(redis_prefix.url), prefix)
        for i in range(25):
            n = f"{worker}-{i}"
            control.write(
                base.model_copy(update={"reason": n, "config_version": n, "risk_limits": {"n": i, "worker": worker}})
            )

    def read() -> None:
        control = redis_control(redis.Redis.from_url(redis_prefix.url), prefix)
        while not stop.is_set():
            s = control.read()
            if s.version > 1 and (
                s.reason != s.config_version or s.reason != f"{s.risk_limits['worker']}-{s.risk_limits['n']}"
            ):
                mixed.append(s)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(60)
    stop.set()
    reader.join(10)
    assert mixed == []
    assert redis_control(client, prefix).read().version == 1 + 4 * 25


def test_compare_and_set_refuses_a_stale_version(state, redis_prefix) -> None:
    control = redis_control(redis_prefix.client, redis_prefix.prefix)
    control.write(paper_state(state))
    control.write(paper_state(state), expected_version=1)
    with pytest.raises(ControlConflict):
        control.write(paper_state(state), expected_version=1)
    assert control.read().version == 2


@pytest.mark.parametrize("missing", KEYS)
def test_a_missing_key_means_not_trading(state, redis_prefix, missing: str) -> None:
    control = redis_control(redis_prefix.client, redis_prefix.prefix)
    control.write(paper_state(state, TradingState.ACTIVE, "ok"))
    redis_prefix.client.delete(f"{redis_prefix.prefix}{missing}")
    with pytest.raises(ControlUnavailable, match="not trading"):
        control.read()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("trading", b"{not json"),
        (
            "trading",
            json.dumps(
                {"state": "SORT_OF_ACTIVE", "reason": "x", "changed_by": "x", "changed_at": "2026-11-20T14:00:00Z"}
            ),
        ),
        ("trading", json.dumps(["ACTIVE"])),
        ("mode", b"production"),
        ("risk_limits", json.dumps({"max_daily_loss": "a lot"})),
        ("risk_limits", b"NaN"),
        ("blocked_symbols", b"\xff\xfe"),
        ("strategies", json.dumps([{"name": "x"}])),
        ("version", b"two"),
    ],
)
def test_a_corrupt_key_means_not_trading(state, redis_prefix, key: str, value: bytes | str) -> None:
    control = redis_control(redis_prefix.client, redis_prefix.prefix)
    control.write(paper_state(state, TradingState.ACTIVE, "ok"))
    redis_prefix.client.set(f"{redis_prefix.prefix}{key}", value)
    with pytest.raises(ControlUnavailable, match="not trading"):
        control.read()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_redis_reads_as_not_trading_and_writes_as_unavailable(state) -> None:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    control = redis_control(client, "qmtest:down:")
    with pytest.raises(ControlUnavailable, match="not trading"):
        control.read()
    with pytest.raises(RuntimeUnavailable) as caught:
        control.write(paper_state(state))
    assert caught.value.exit_code == 3


def test_the_store_is_the_source_of_truth_and_rebuilds_the_mirror(state, redis_prefix, store_url) -> None:
    client, prefix = redis_prefix.client, redis_prefix.prefix
    store = open_store(store_url)
    control = redis_control(client, prefix, store, "paper")
    control.write(paper_state(state))
    halted = control.set_trading(TradingState.HALTED, "operator halt: broker unstable", "dana.ops")
    assert halted.version == 2
    # Redis loses everything (restart without persistence): readers fail closed ...
    client.delete(*[f"{prefix}{k}" for k in KEYS])
    with pytest.raises(ControlUnavailable):
        control.read()
    # ... until the mirror is rebuilt from the store, exactly as it was
    assert rebuild_mirror(client, prefix, store, "paper") == halted
    assert control.read() == halted
    store.close()
    # everything restarts: new store and client objects still say HALTED, with who and why
    again = open_store(store_url)
    fresh = redis_control(redis.Redis.from_url(redis_prefix.url), prefix, again, "paper")
    after = fresh.read()
    assert (after.trading, after.reason, after.changed_by, after.version) == (
        TradingState.HALTED,
        "operator halt: broker unstable",
        "dana.ops",
        2,
    )
    assert [(h["previous"], h["trading"], h["changed_by"]) for h in trading_history(again, "paper")] == [
        (None, "HALTED", "qm"),
        ("HALTED", "HALTED", "dana.ops"),
    ]
    again.close()


def test_a_late_mirror_never_replaces_a_newer_state(state, redis_prefix, sqlite_url) -> None:
    """Writer A commits ACTIVE (v2), writer B commits HALTED (v3) and mirrors it first; A's
    mirror arriving late must not put ACTIVE back in front of the trading processes."""
    from quantmatrix.runtime.control import RedisControl
    from quantmatrix.runtime.store.control_state import save_control

    client, prefix = redis_prefix.client, redis_prefix.prefix
    store = open_store(sqlite_url)
    save_control(store, paper_state(state))
    active = save_control(store, paper_state(state, TradingState.ACTIVE, "checks passed"))
    halted = save_control(store, paper_state(state, TradingState.HALTED, "operator halt"))
    mirror = RedisControl(client, prefix, store, "paper")
    mirror.mirror(halted)
    mirror.mirror(active)  # late
    assert mirror.read() == halted
    store.close()


def test_a_corrupt_counter_refuses_a_redis_only_write(state, redis_prefix) -> None:
    control = redis_control(redis_prefix.client, redis_prefix.prefix)
    control.write(paper_state(state))
    redis_prefix.client.set(f"{redis_prefix.prefix}version", b"-3")
    with pytest.raises(ControlUnavailable, match="not a counter"):
        control.write(paper_state(state))


def test_a_stale_mirror_is_overwritten_and_an_empty_store_clears_it(state, redis_prefix, sqlite_url) -> None:
    client, prefix = redis_prefix.client, redis_prefix.prefix
    redis_control(client, prefix).write(paper_state(state, TradingState.ACTIVE, "stale"))  # written around the store
    store = open_store(sqlite_url)
    assert rebuild_mirror(client, prefix, store, "paper") is None
    with pytest.raises(ControlUnavailable):
        redis_control(client, prefix).read()  # nothing in the store: the stale ACTIVE is gone
    store.close()


def test_store_control_keeps_the_same_state_without_redis(state, store_url) -> None:
    store = open_store(store_url)
    control = store_control(store, "paper")
    with pytest.raises(ControlUnavailable, match="not trading"):
        control.read()
    with pytest.raises(ControlUnavailable):
        control.set_trading(TradingState.HALTED, "halt", "dana.ops")
    first = control.write(paper_state(state))
    assert control.read() == first and first.version == 1
    control.set_trading(TradingState.REDUCING, "winding down", "dana.ops")
    with pytest.raises(ControlConflict):
        control.write(paper_state(state), expected_version=1)
    reopened = store_control(open_store(store_url), "paper").read()
    assert (reopened.trading, reopened.version) == (TradingState.REDUCING, 2)
    with pytest.raises(ValueError):
        control.write(paper_state(state).model_copy(update={"environment": "live"}))
    store.close()


def test_a_store_without_control_tables_reads_as_not_trading(store_url) -> None:
    from quantmatrix.runtime.store.schema import downgrade_control_schema

    store = open_store(store_url)
    downgrade_control_schema(store)
    with pytest.raises(ControlUnavailable, match="not trading"):
        store_control(store, "paper").read()
    store.close()


def test_concurrent_trading_changes_through_the_store_lose_nothing(state, store_url) -> None:
    store = open_store(store_url)
    store_control(store, "paper").write(paper_state(state))
    errors: list[BaseException] = []

    def flip(worker: int) -> None:
        try:
            control = store_control(open_store(store_url, migrate=False), "paper")
            for i in range(5):
                control.set_trading(
                    TradingState.HALTED if i % 2 else TradingState.REDUCING, f"w{worker}-{i}", f"op{worker}"
                )
        except BaseException as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=flip, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert store_control(store, "paper").read().version == 1 + 3 * 5
    assert len(trading_history(store, "paper")) == 1 + 3 * 5
    store.close()


def test_config_version_is_a_stable_content_hash(state, tmp_path) -> None:
    import shutil

    paper = state.environments["paper"]
    assert config_version(paper) == config_version(load(ROOT).environments["paper"])
    assert len(config_version(paper)) == 64 and config_version(paper) != config_version(state.environments["live"])
    repo = tmp_path / "repo"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, repo / folder)
    text = (repo / "environments/paper.yaml").read_text()
    (repo / "environments/paper.yaml").write_text(text.replace("    max_daily_loss: 5000", "    max_daily_loss: 4000"))
    assert config_version(load(repo).environments["paper"]) != config_version(paper)
    (repo / "environments/paper.yaml").write_text(
        text.replace("Production-like validation", "Production-like rehearsal")
    )
    assert config_version(load(repo).environments["paper"]) == config_version(
        paper
    )  # a description is not configuration
