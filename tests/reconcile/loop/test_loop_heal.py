"""Drift in the control keys, caught through Redis keyspace notifications and healed by the
environment's self_heal policy, on real PostgreSQL, Redis and sandbox processes.

Live's default policy (safety → halt, config → report) is exercised on the paper copy by
setting it explicitly (`runtime.reconcile.self_heal`): a live environment would need live
approvals, a paper record and credentials that cannot exist here; `policy_for` is what maps
live to that policy, and test_loop_units.py checks that mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.observe import operator_halt
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store.events import drift_events

from .conftest import PaperEnv, wait_for  # type: ignore[import-not-found]


def _get(env: PaperEnv, key: str) -> Any:
    raw = env.client.get(f"{env.prefix}{key}")
    return None if raw is None else json.loads(raw)


def _store_view(env: PaperEnv) -> Any:
    return connect(load(env.repo), "paper", env.repo, create=False)


def test_paper_risk_limit_changed_by_hand_is_corrected_and_recorded(
    paper_env: PaperEnv, start_loop: Callable[..., Any]
) -> None:
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: loop.in_sync(), 120)
    assert _get(paper_env, "trading")["state"] == "ACTIVE"
    limits = _get(paper_env, "risk_limits")
    assert limits["max_order_notional"] == 10000
    hacked = {**limits, "max_order_notional": 999999}
    paper_env.client.set(
        f"{paper_env.prefix}risk_limits", json.dumps(hacked)
    )  # a hand edit: no publish, no version bump
    took = wait_for(lambda: _get(paper_env, "risk_limits")["max_order_notional"] == 10000, 5)
    assert took < 5
    paper_env.client.set(f"{paper_env.prefix}blocked_symbols", json.dumps([]))
    wait_for(lambda: _get(paper_env, "blocked_symbols") == ["GME", "AMC"], 5)
    loop.stop()
    drifts = [(e.subject, e.before, e.after, e.action) for (e,) in loop.events.of("drift")]
    assert ("risk_limits.max_order_notional", "10000", "999999", "corrected") in drifts
    assert ("blocked_symbols", '["GME", "AMC"]', "[]", "corrected") in drifts
    connected = _store_view(paper_env)
    try:
        assert connected.store is not None
        recorded = [(d["subject"], d["desired"], d["observed"]) for d in drift_events(connected.store, "paper")]
        assert ("control.risk_limits.max_order_notional", "10000", "999999") in recorded
        assert operator_halt(connected.store, "paper") is None  # paper corrects: no halt
    finally:
        connected.close()
    assert _get(paper_env, "trading")["state"] == "ACTIVE"


def test_trading_loosened_by_hand_is_put_back_never_left_active(
    paper_env: PaperEnv, start_loop: Callable[..., Any]
) -> None:
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: loop.in_sync(), 120)
    connected = _store_view(paper_env)
    try:
        assert connected.control is not None
        connected.control.set_trading(
            __import__("quantmatrix.runtime.controlstate", fromlist=["TradingState"]).TradingState.REDUCING,
            "test: reducing",
            "test",
        )
        wait_for(lambda: _get(paper_env, "trading")["state"] == "REDUCING", 5)
        # the stored state is REDUCING; a hand-written ACTIVE in Redis must not stand
        paper_env.client.set(
            f"{paper_env.prefix}trading",
            json.dumps(
                {"state": "ACTIVE", "reason": "hand", "changed_by": "someone", "changed_at": "2026-01-01T00:00:00Z"}
            ),
        )
        wait_for(lambda: _get(paper_env, "trading")["state"] != "ACTIVE", 5)
    finally:
        connected.close()
    loop.stop()
    assert any(e.subject == "trading" and e.after == "ACTIVE" for (e,) in loop.events.of("drift"))
