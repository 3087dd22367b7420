"""A `qm halt` needs no lock, so it can land in the middle of an apply's step: the apply's
writes must never undo it. Real SQLite store; the halt is injected between the step's read
and its write."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from quantmatrix.reconcile import actions
from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.operate import halt
from quantmatrix.repo.loader import load
from quantmatrix.runtime.control import ControlState, control_from_environment
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.store.deployments import start_deployment

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


class HaltAfterFirstRead:
    """The control plane, with an operator's halt arriving right after the first read."""

    def __init__(self, inner, on_read) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.on_read, self.fired = inner, on_read, False

    def read(self) -> ControlState:
        state = self.inner.read()
        if not self.fired:
            self.fired = True
            self.on_read()
        return state

    def write(self, state: ControlState, expected_version: int | None = None) -> ControlState:
        return self.inner.write(state, expected_version)  # type: ignore[no-any-return]

    def set_trading(self, trading: TradingState, reason: str, changed_by: str) -> ControlState:
        return self.inner.set_trading(trading, reason, changed_by)  # type: ignore[no-any-return]


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for folder in ("environments", "releases", "migrations", "policies"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return repo


def test_a_halt_between_the_configuration_read_and_write_is_kept(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    connected = connect(load(repo), "local", repo)
    other = connect(load(repo), "local", repo)
    try:
        assert connected.control is not None
        connected.control.write(
            control_from_environment(
                connected.environment, trading=TradingState.REDUCING, reason="deploying", changed_by="qm apply", now=NOW
            )
        )
        connected.control = HaltAfterFirstRead(
            connected.control, lambda: halt(other, "fat finger on the desk", NOW, by="ops.maria")
        )
        assert connected.store is not None
        deployment = start_deployment(connected.store, "local", "2026.11.1")
        detail = actions.configure(connected, deployment, None, NOW)
        state = connected.control.read()
        assert state.trading is TradingState.HALTED and state.reason == "operator halt: fat finger on the desk"
        assert state.config_version == connected.config_version  # and the configuration did land
        assert "control keys at version" in detail
    finally:
        other.close()
        connected.close()


def test_a_halt_while_trading_is_enabled_ends_halted(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    connected = connect(load(repo), "local", repo)
    other = connect(load(repo), "local", repo)
    try:
        assert connected.control is not None
        connected.control.write(
            control_from_environment(
                connected.environment, trading=TradingState.REDUCING, reason="deploying", changed_by="qm apply", now=NOW
            )
        )
        # the halt lands after enable's first look at the audit log, before its ACTIVE write
        connected.control = HaltAfterFirstRead(
            connected.control, lambda: halt(other, "broker disconnects", NOW, by="ops.maria")
        )
        detail = actions.enable(connected, "dep-x", NOW)
        assert connected.control.read().trading is TradingState.HALTED
        assert "operator halt arrived while enabling" in detail
    finally:
        other.close()
        connected.close()
