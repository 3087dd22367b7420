"""The per-environment apply lock, on the real PostgreSQL (advisory lock) and on files
(flock): one holder at a time, the loser told who holds it and since when, a killed holder's
lock free again, hostile names and files refused or neutralised."""

from __future__ import annotations

import fcntl
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from quantmatrix.errors import ConfigError, ExitCode, RuntimeUnavailable
from quantmatrix.reconcile import pg_lock
from quantmatrix.reconcile.lock import LockHeld, LockLost, acquire_apply_lock, this_process

NOW = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
KILLED_LOCK_FREE_WITHIN = 15.0  # seconds; PostgreSQL notices a dead client's closed socket at once


@pytest.fixture(params=["postgresql", "file"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where the lock lives: the test's own PostgreSQL database, or a directory."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return tmp_path


@pytest.fixture
def env() -> str:
    """A fresh environment name per test: tests never share a lock."""
    return f"env-{secrets.token_hex(4)}"


def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.05)
    return time.monotonic() - start


def can_take(target: str | Path, env: str) -> bool:
    try:
        with acquire_apply_lock(target, env, this_process("apply", NOW)):
            return True
    except LockHeld:
        return False


def test_second_taker_is_refused_at_once_naming_the_holder(target: str | Path, env: str) -> None:
    holder = this_process("apply", NOW)
    with acquire_apply_lock(target, env, holder) as lock:
        lock.verify()
        started = time.monotonic()
        with pytest.raises(LockHeld) as refused:
            with acquire_apply_lock(target, env, this_process("apply", NOW)):
                pass
        assert time.monotonic() - started < 5  # no waiting
    error = refused.value
    assert error.exit_code == ExitCode.UNAVAILABLE == 3
    assert f"another apply of environment '{env}' is running" in str(error)
    assert f"qm apply {env} pid={os.getpid()} host={holder.host}" in error.holder
    assert error.since is not None and error.since.endswith("Z")
    assert f"since {error.since}" in str(error)
    # released at the end of the block
    assert can_take(target, env)


def test_other_environments_are_not_blocked(target: str | Path, env: str) -> None:
    with acquire_apply_lock(target, env, this_process("apply", NOW)):
        assert can_take(target, env + "-other")


def test_released_when_the_block_raises(target: str | Path, env: str) -> None:
    with pytest.raises(RuntimeError, match="step failed"):
        with acquire_apply_lock(target, env, this_process("apply", NOW)):
            raise RuntimeError("step failed")
    assert can_take(target, env)


def test_concurrent_threads_exactly_one_wins(target: str | Path, env: str) -> None:
    takers = 6
    start, done = threading.Barrier(takers), threading.Barrier(takers)
    outcomes: list[str] = []

    def take() -> None:
        start.wait()
        try:
            with acquire_apply_lock(target, env, this_process("apply", NOW)):
                outcomes.append("won")
                done.wait(timeout=30)  # hold until every taker has tried
                return
        except LockHeld:
            outcomes.append("held")
        except Exception as error:  # surfaced by the assertion below
            outcomes.append(f"error {error!r}")
        done.wait(timeout=30)

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["held"] * (takers - 1) + ["won"]


def test_concurrent_processes_exactly_one_wins(target: str | Path, env: str, holders) -> None:
    processes = [holders.start(target, env) for _ in range(3)]
    lines = [holders.first_line(p) for p in processes]
    winners = [line for line in lines if line.startswith("WON ")]
    assert len(winners) == 1, lines
    winner_pid = int(winners[0].split()[1])
    for line in lines:
        if line.startswith("HELD "):
            assert f"pid={winner_pid} " in line and " since " in line
    assert not can_take(target, env)


def test_a_killed_holder_frees_the_lock(target: str | Path, env: str, holders) -> None:
    first = holders.start(target, env)
    assert holders.first_line(first) == f"WON {first.pid}"
    with pytest.raises(LockHeld, match=f"pid={first.pid} "):
        with acquire_apply_lock(target, env, this_process("apply", NOW)):
            pass

    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    wait_until(lambda: can_take(target, env), KILLED_LOCK_FREE_WITHIN)

    # the next holder is the one named, not the dead one whose text may linger
    second = holders.start(target, env)
    assert holders.first_line(second) == f"WON {second.pid}"
    with pytest.raises(LockHeld) as refused:
        with acquire_apply_lock(target, env, this_process("apply", NOW)):
            pass
    assert f"pid={second.pid} " in refused.value.holder
    assert f"pid={first.pid} " not in str(refused.value)


@pytest.mark.parametrize("name", ["../escape", "a/b", "Paper", "", "paper\n", ".", "x" * 64, "paper\x00"])
def test_environment_names_are_checked_before_use(target: str | Path, name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        with acquire_apply_lock(target, name, this_process("apply", NOW)):
            pass
    assert refused.value.exit_code == ExitCode.INVALID
    if isinstance(target, Path):
        assert not (target / ".qm").exists() or not any(target.rglob("*.lock"))


# --- PostgreSQL specifics ---------------------------------------------------------------


def test_the_holder_is_visible_in_pg_stat_activity(pg_url: str, env: str) -> None:
    engine = create_engine(pg_url)
    try:
        with acquire_apply_lock(pg_url, env, this_process("apply", NOW)):
            with engine.connect() as connection:
                names = (
                    connection.execute(
                        text("SELECT application_name FROM pg_stat_activity WHERE datname = current_database()")
                    )
                    .scalars()
                    .all()
                )
            assert f"qm apply {env} pid={os.getpid()} host=" in " ".join(names)
    finally:
        engine.dispose()


def test_a_long_environment_name_keeps_the_holder_readable(pg_url: str) -> None:
    env = "e" + secrets.token_hex(31)  # 63 characters: application_name is cut at 63
    with acquire_apply_lock(pg_url, env, this_process("apply", NOW)):
        with pytest.raises(LockHeld) as refused:
            with acquire_apply_lock(pg_url, env, this_process("apply", NOW)):
                pass
    assert refused.value.since is not None  # from the server's backend_start, never cut
    assert "PostgreSQL backend" in refused.value.holder


def test_an_engine_is_accepted_and_its_pool_never_keeps_the_lock(pg_url: str, env: str) -> None:
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        with acquire_apply_lock(engine, env, this_process("apply", NOW)) as lock:
            assert lock.kind == "postgresql"
        # the pool's only connection is usable and holds no advisory lock
        with engine.connect() as connection:
            held = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            ).scalar_one()
        assert held == 0
        assert can_take(pg_url, env)
    finally:
        engine.dispose()


def test_a_lost_session_is_detected_by_verify(pg_url: str, env: str) -> None:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with acquire_apply_lock(pg_url, env, this_process("apply", NOW)) as lock:
            with admin.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE :name"),
                    {"name": f"qm apply {env} %"},
                )
            with pytest.raises(LockLost, match="lost"):
                lock.verify()
    finally:
        admin.dispose()
    assert can_take(pg_url, env)


def test_unreachable_postgresql_is_unavailable_without_the_password(env: str) -> None:
    with pytest.raises(RuntimeUnavailable) as refused:
        with acquire_apply_lock("postgresql://qm:Hunter2Secret@127.0.0.1:1/qm", env, this_process("apply", NOW)):
            pass
    assert refused.value.exit_code == ExitCode.UNAVAILABLE
    assert "127.0.0.1:1/qm" in str(refused.value)
    assert "Hunter2Secret" not in str(refused.value)


@pytest.mark.parametrize("store", ["sqlite:///state.db", "mysql://u:Hunter2Secret@h/db", "not a url"])
def test_a_store_that_is_not_postgresql_is_refused(store: str, env: str) -> None:
    with pytest.raises(ConfigError) as refused:
        with acquire_apply_lock(store, env, this_process("apply", NOW)):
            pass
    assert "Hunter2Secret" not in str(refused.value)


def test_lock_keys_are_pinned_across_versions() -> None:
    # Two qm versions applying at once must compute the same key, or both would "hold" the
    # lock. Changing the derivation is a breaking change: these pinned values make it loud.
    assert pg_lock.NAMESPACE == 864158274
    assert (pg_lock.lock_key("paper"), pg_lock.lock_key("live")) == (862581649, 965462261)


# --- file lock specifics ----------------------------------------------------------------


@pytest.fixture
def lock_file(tmp_path: Path, env: str) -> Path:
    return tmp_path / ".qm" / "locks" / f"{env}.lock"


def test_holder_info_is_written_and_cleared(tmp_path: Path, env: str, lock_file: Path) -> None:
    with acquire_apply_lock(tmp_path, env, this_process("apply", NOW)) as lock:
        assert lock.kind == "file"
        content = lock_file.read_text()
        assert f'"holder": "qm apply {env} pid={os.getpid()} host=' in content
        assert '"since": "2026-11-25T22:00:00Z"' in content
    assert lock_file.read_text() == ""
    assert lock_file.exists()  # never deleted: see file_lock's docstring


def test_a_removed_lock_file_is_detected_by_verify(tmp_path: Path, env: str, lock_file: Path) -> None:
    with acquire_apply_lock(tmp_path, env, this_process("apply", NOW)) as lock:
        lock_file.unlink()
        with pytest.raises(LockLost, match="removed"):
            lock.verify()


def test_a_symlink_at_the_lock_name_is_not_followed(tmp_path: Path, env: str, lock_file: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock_file.parent.mkdir(parents=True)
    lock_file.symlink_to(victim)
    with pytest.raises(RuntimeUnavailable, match="cannot open"):
        with acquire_apply_lock(tmp_path, env, this_process("apply", NOW)):
            pass
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe garbage", b'{"holder": 5}', b'{"holder": "evil\\u001b[2J\\nfake line", "since": "2026\\r"}'],
)
def test_a_hostile_or_unreadable_holder_file_is_reported_safely(
    tmp_path: Path, env: str, lock_file: Path, content: bytes
) -> None:
    lock_file.parent.mkdir(parents=True)
    lock_file.write_bytes(content)
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process's lock, in effect
        with pytest.raises(LockHeld) as refused:
            with acquire_apply_lock(tmp_path, env, this_process("apply", NOW)):
                pass
    finally:
        os.close(fd)
    message = str(refused.value)
    assert "\x1b" not in message and "\n" not in message and "\r" not in message
    assert f"environment '{env}'" in message


def test_the_cli_edge_reports_a_held_lock_as_exit_3(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import click

    from quantmatrix.cli.edge import run

    @click.group()
    def cli() -> None:
        pass

    @cli.command()
    def apply() -> None:  # a stand-in for the coming `qm apply`: it takes the lock
        with acquire_apply_lock(tmp_path, env, this_process("apply", NOW)):
            pass

    with acquire_apply_lock(tmp_path, env, this_process("apply", NOW)):
        code = run(cli, ["apply"])
    err = capsys.readouterr().err
    assert code == 3
    assert (
        f"another apply of environment '{env}' is running: the lock is held by qm apply {env} pid={os.getpid()}" in err
    )
    assert "since 2026-11-25T22:00:00Z" in err and "Traceback" not in err


def test_the_holder_clock_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        this_process("apply", datetime(2026, 11, 25, 22, 0))


def test_a_hostile_host_name_cannot_forge_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setattr(socket, "gethostname", lambda: "ops-1\n\x1b[2Jqm: lock released")
    holder = this_process("apply", NOW)
    assert holder.host == "ops-1___2Jqm:_lock_released"
    assert "\n" not in holder.describe("paper") and "\x1b" not in holder.describe("paper")
