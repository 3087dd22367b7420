"""Live's self-heal policy (safety drift → halt, other drift → report) on real services.

The environment is the paper copy with `self_heal: {safety: halt, config: report}` written
out: exactly what `policy_for` gives live (test_loop_units.py), on an environment the test can
deploy (live needs approvals, a paper record and credentials that cannot exist here)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.observe import operator_halt
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store.events import drift_events, list_incidents

from .conftest import PaperEnv, wait_for  # type: ignore[import-not-found]

LIVE_POLICY = "    reconcile: {observe_interval_seconds: 0.5, self_heal: {safety: halt, config: report}}\n"


def _get(env: PaperEnv, key: str) -> Any:
    raw = env.client.get(f"{env.prefix}{key}")
    return None if raw is None else json.loads(raw)


def _live_policy(env: PaperEnv) -> None:
    content = (env.repo / "environments" / "paper.yaml").read_text()
    if "self_heal" not in content:
        env.edit_paper("    reconcile: {observe_interval_seconds: 0.5}\n", LIVE_POLICY)
        env.commit("paper with live's self-heal policy")


def test_non_safety_drift_is_reported_only(paper_env: PaperEnv, start_loop: Callable[..., Any]) -> None:
    _live_policy(paper_env)
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: loop.in_sync(), 120)
    strategies = _get(paper_env, "strategies")
    changed = [{**s, "capital": 1.0} if s["name"] == "mean_reversion" else s for s in strategies]
    paper_env.client.set(f"{paper_env.prefix}strategies", json.dumps(changed))
    wait_for(lambda: any(e.subject == "strategies" for (e,) in loop.events.of("drift")), 5)
    time.sleep(1.5)  # several passes later: still only reported, recorded once
    loop.stop()
    (event,) = [e for (e,) in loop.events.of("drift")]
    assert (event.kind, event.subject, event.action) == ("config", "strategies", "reported")
    assert _get(paper_env, "strategies") == changed  # left as found
    assert _get(paper_env, "trading")["state"] == "ACTIVE"
    connected = connect(load(paper_env.repo), "paper", paper_env.repo, create=False)
    try:
        assert connected.store is not None
        assert [d["subject"] for d in drift_events(connected.store, "paper")] == ["control.strategies"]
        assert operator_halt(connected.store, "paper") is None
    finally:
        connected.close()
    paper_env.client.set(f"{paper_env.prefix}strategies", json.dumps(strategies))  # put back for the next test


def test_safety_drift_halts_alerts_and_waits_for_an_operator(
    paper_env: PaperEnv, start_loop: Callable[..., Any]
) -> None:
    _live_policy(paper_env)
    alerts: list[tuple[str, str, str]] = []
    loop = start_loop(environments=("paper",), path=paper_env.repo, interval=60, alert=lambda *a: alerts.append(a))
    wait_for(lambda: loop.in_sync(), 120)
    limits = _get(paper_env, "risk_limits")
    paper_env.client.set(f"{paper_env.prefix}risk_limits", json.dumps({**limits, "max_daily_loss": 10**9}))
    took = wait_for(lambda: _get(paper_env, "trading")["state"] == "HALTED", 5)
    assert took < 5
    assert _get(paper_env, "risk_limits")["max_daily_loss"] == 5000  # the halt rewrote the approved limits
    time.sleep(1.5)  # it waits: several passes later trading is still HALTED
    assert _get(paper_env, "trading")["state"] == "HALTED"
    loop.stop()
    assert [a[0] for a in alerts] == ["paper"] and "HALTED until qm resume" in alerts[0][1]
    halted = [e for (e,) in loop.events.of("drift") if e.action == "halted"]
    assert [(e.subject, e.before, e.after) for e in halted] == [("risk_limits.max_daily_loss", "5000", "1000000000")]
    assert [args[1] for args in loop.events.of("trading")] == ["HALTED"]
    connected = connect(load(paper_env.repo), "paper", paper_env.repo, create=False)
    try:
        assert connected.store is not None
        halt = operator_halt(connected.store, "paper")
        assert halt is not None and halt.by == "qm reconcile" and "max_daily_loss" in halt.reason
        assert [i.kind for i in list_incidents(connected.store, "paper")] == ["drift"]
    finally:
        connected.close()
    # a new loop does not lift it either: only qm resume does
    again = start_loop(environments=("paper",), path=paper_env.repo, interval=60)
    wait_for(lambda: again.in_sync(), 60)
    assert _get(paper_env, "trading")["state"] == "HALTED"
    again.stop()
