"""The in-sync fast path of `qm apply` (reconcile/noop.py) against the real local platform:
it answers "in sync" only where the full path (observe + plan) does, records the same no-op
check, holds the same lock, and falls through to the full path on any difference."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from quantmatrix.errors import ExitCode
from quantmatrix.reconcile import noop
from quantmatrix.reconcile.apply import apply, compute_plan
from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.lock import LockHeld, acquire_apply_lock, this_process
from quantmatrix.reconcile.noop import fast_noop
from quantmatrix.repo.loader import load
from quantmatrix.repo.source import open_source
from quantmatrix.runtime.drivers import procs
from quantmatrix.runtime.store.events import CheckRecord, list_check_results
from quantmatrix.runtime.store.schema import CONTROL_HEAD

from .conftest import copy_local_repo, run_qm, stop_local_platform, wait_until  # type: ignore[import-not-found]  # the reconciler tests' helpers

# What the fast path must not import: the point of it (the full path needs all three).
HEAVY = ("sqlalchemy", "httpx", "quantmatrix.model.environment")


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    repo = copy_local_repo(tmp_path_factory.mktemp("noop") / "repo")
    try:
        done = run_qm(repo, "apply", "local", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr
        yield repo
    finally:
        stop_local_platform(repo)


def _full_path_in_sync(repo: Path) -> bool:
    connected = connect(load(repo), "local", repo, create=False)
    try:
        return compute_plan(load(repo), connected).in_sync
    finally:
        connected.close()


def _no_ops(repo: Path) -> list[CheckRecord]:
    connected = connect(load(repo), "local", repo, create=False)
    try:
        assert connected.store is not None
        return [c for c in list_check_results(connected.store, "local") if c.name == "reconcile.no_op"]
    finally:
        connected.close()


def _sql(repo: Path, statement: str, *args: object) -> None:
    with sqlite3.connect(repo / ".qm" / "local" / "state.db") as connection:
        connection.execute(statement, args)


def test_an_in_sync_apply_takes_the_fast_path_and_records_the_no_op_check(applied: Path) -> None:
    full = apply(load(applied), open_source(applied), "local", applied)  # the full path's no-op, for comparison
    assert full.noop
    before = _no_ops(applied)
    script = (
        "import sys\nfrom quantmatrix.cli import main\ntry:\n    main(['apply', 'local', '--yes'])\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        f"print('loaded:', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=applied, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "local: in sync, nothing to change" in run.stdout and "loaded: []" in run.stdout
    after = _no_ops(applied)
    assert len(after) == len(before) + 1
    # the very record the full path writes (read back through the store, as qm history does)
    new, old = after[-1], before[-1]
    assert new.model_dump(exclude={"at"}) == old.model_dump(exclude={"at"})
    assert new.at.tzinfo is not None and new.at > old.at


def test_every_fast_answer_is_the_full_paths_answer(applied: Path) -> None:
    assert _full_path_in_sync(applied) and fast_noop(applied, "local")


def test_a_changed_or_added_file_is_a_miss_and_the_same_bytes_again_a_hit(applied: Path) -> None:
    local = applied / "environments" / "local.yaml"
    text = local.read_text()
    local.write_text(text.replace("max_daily_loss: 250", "max_daily_loss: 240"))
    try:
        assert "max_daily_loss: 240" in local.read_text()
        assert not fast_noop(applied, "local")
        assert not _full_path_in_sync(applied)  # the configuration differs: the full path plans it
    finally:
        local.write_text(text)
    assert fast_noop(applied, "local")  # same bytes, same blob ids: the cache holds again

    migration = sorted((applied / "migrations" / "versions").glob("0002_*.py"))[0]
    code = migration.read_text()
    migration.write_text(code + "\n# the loader checks the releases against this chain\n")
    try:
        assert not fast_noop(applied, "local")  # a migration the loader reads moved: the full path decides
    finally:
        migration.write_text(code)
    assert fast_noop(applied, "local")

    extra = applied / "releases" / "2099.1.0.yaml"
    shutil.copy(applied / "releases" / "2026.11.1.yaml", extra)
    try:
        assert not fast_noop(applied, "local")  # a file the loader would read (and refuse): the full path decides
    finally:
        extra.unlink()
    assert fast_noop(applied, "local")


def test_a_symlinked_file_is_never_judged_by_the_fast_path(applied: Path) -> None:
    catalog = applied / "environments" / "secrets.yaml"
    moved = applied / "secrets.yaml.real"
    catalog.rename(moved)
    catalog.symlink_to(moved)
    try:
        assert not fast_noop(applied, "local")
    finally:
        catalog.unlink()
        moved.rename(catalog)
    assert fast_noop(applied, "local")


def test_another_qm_version_never_reads_the_cache(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(noop, "code_identity", lambda: "an upgraded qm")
    assert not fast_noop(applied, "local")


def test_an_apply_holding_the_lock_makes_the_fast_path_exit_3(applied: Path) -> None:
    with acquire_apply_lock(applied.resolve(), "local", this_process("apply", datetime.now(UTC))):
        with pytest.raises(LockHeld):
            fast_noop(applied, "local")
        blocked = run_qm(applied, "apply", "local", "--yes")
    assert blocked.returncode == ExitCode.UNAVAILABLE and "qm apply local pid=" in blocked.stderr


def test_a_malformed_control_state_is_not_in_sync(applied: Path) -> None:
    _sql(applied, "UPDATE qm_control_state SET risk_limits = ? WHERE environment = 'local'", '"not a mapping"')
    try:
        assert not fast_noop(applied, "local")
        assert not _full_path_in_sync(applied)  # unknown trading state: the full path rewrites it
    finally:
        _sql(
            applied,
            "UPDATE qm_control_state SET risk_limits = ? WHERE environment = 'local'",
            json.dumps(
                {
                    "max_order_notional": 1000.0,
                    "max_position_notional": 5000.0,
                    "max_gross_exposure": 10000.0,
                    "max_daily_loss": 250.0,
                    "max_orders_per_minute": 30,
                }
            ),
        )
    assert _full_path_in_sync(applied) and fast_noop(applied, "local")


def test_trading_and_the_operator_halt_are_read_as_the_full_path_reads_them(applied: Path) -> None:
    _sql(applied, "UPDATE qm_control_state SET trading = 'REDUCING' WHERE environment = 'local'")
    assert not fast_noop(applied, "local") and not _full_path_in_sync(applied)
    _sql(applied, "UPDATE qm_control_state SET trading = 'HALTED' WHERE environment = 'local'")
    assert not fast_noop(applied, "local") and not _full_path_in_sync(applied)  # HALTED, but no operator halt
    halted = run_qm(applied, "halt", "local", "--reason", "lunch")
    assert halted.returncode == 0, halted.stderr
    try:
        assert _full_path_in_sync(applied) and fast_noop(applied, "local")  # an operator halt kept: in sync
    finally:
        resumed = run_qm(applied, "resume", "local")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _full_path_in_sync(applied) and fast_noop(applied, "local")


def test_a_dead_component_is_a_miss_and_the_full_path_redeploys_it(applied: Path) -> None:
    state = json.loads((applied / ".qm" / "local" / "workers.json").read_text())
    assert procs.is_ours(state["pid"], state["started"])
    os.kill(state["pid"], signal.SIGKILL)
    wait_until(lambda: not procs.is_ours(state["pid"], state["started"]), 10.0)
    assert not fast_noop(applied, "local") and not _full_path_in_sync(applied)
    redeployed = run_qm(applied, "apply", "local", "--yes")
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr
    assert "deploy.workers" in redeployed.stdout
    assert fast_noop(applied, "local")


def test_the_fast_path_knows_every_key_of_the_drivers_state_file() -> None:
    from quantmatrix.runtime.drivers.process import ProcessState

    assert noop.PROCESS_STATE_KEYS == set(ProcessState.model_fields)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda state: {**state, "injected": "x"},  # the driver's model refuses unknown keys
        lambda state: {**state, "component": "api"},  # another component's file
        lambda state: {**state, "previous": dict(state)},  # an old process still to stop
    ],
)
def test_a_state_file_the_driver_would_refuse_or_act_on_is_a_miss(
    applied: Path, tamper: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    path = applied / ".qm" / "local" / "workers.json"
    kept = path.read_text()
    path.write_text(json.dumps(tamper(json.loads(kept))))
    try:
        assert not fast_noop(applied, "local")
    finally:
        path.write_text(kept)
    assert fast_noop(applied, "local")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: "not json {",
        lambda data: json.dumps([data]),
        lambda data: json.dumps({**data, "components": ["api"]}),
        lambda data: json.dumps({**data, "store": None}),
        lambda data: json.dumps({**data, "environment": "paper"}),
    ],
)
def test_a_damaged_cache_is_a_miss_not_a_traceback(applied: Path, damage: Callable[[dict[str, Any]], str]) -> None:
    cache = applied / ".qm" / "noop" / "local.json"
    kept = cache.read_text()
    cache.write_text(damage(json.loads(kept)))
    try:
        assert not fast_noop(applied, "local")
    finally:
        cache.write_text(kept)
    assert fast_noop(applied, "local")


def test_control_tables_behind_the_code_are_left_to_the_full_path(applied: Path) -> None:
    _sql(applied, "UPDATE qm_control_version SET version_num = 'c0001_an_older_one'")
    try:
        assert not fast_noop(applied, "local")  # opening the store would upgrade them first
    finally:
        _sql(applied, "UPDATE qm_control_version SET version_num = ?", CONTROL_HEAD)
    assert fast_noop(applied, "local")
