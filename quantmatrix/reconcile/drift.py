"""Control-key drift: what the trading processes obey compared with what they should obey.
A pure function over plain values (no Redis, no store), so every case is tested with data.

    expected = the store's control state (the source of truth), with the desired
               environment's configuration when the store claims that configuration version
    found    = what the control plane serves (the Redis mirror; the store itself for local)

Safety subjects (guide: trading switch, risk limits, blocked symbols, mode) are kind
`safety`; the rest (strategies, configuration version, environment name) kind `config`.
The `version` counter is not compared: a hand-written key need not bump it.
"""

from __future__ import annotations

import json

from quantmatrix.reconcile.loop_events import DriftEvent, DriftKind
from quantmatrix.runtime.controlstate import ControlState, TradingState

STRICTNESS = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}
UNREADABLE = "control keys"


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 10000, as written in the manifest, not 10000.0
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True, default=str)[:500]
    return str(value)[:500]


def expected_state(stored: ControlState, desired: ControlState) -> ControlState:
    """The store's state; its configuration replaced by the desired one when both claim the
    same configuration version (a store edited by hand); otherwise the store's own (a new
    configuration is the apply's business, with its gates)."""
    if stored.config_version != desired.config_version:
        return stored
    return stored.model_copy(
        update={
            "environment": desired.environment,
            "mode": desired.mode,
            "risk_limits": desired.risk_limits,
            "blocked_symbols": desired.blocked_symbols,
            "strategies": desired.strategies,
        }
    )


def control_drift(environment: str, expected: ControlState, found: ControlState) -> list[DriftEvent]:
    """Every difference, one event per subject (per risk limit), in a stable order."""
    events: list[DriftEvent] = []

    def add(kind: DriftKind, subject: str, before: object, after: object) -> None:
        events.append(DriftEvent(environment, kind, subject, _show(before), _show(after)))

    if found.trading is not expected.trading:
        add("safety", "trading", expected.trading.value, found.trading.value)
    if found.mode != expected.mode:
        add("safety", "mode", expected.mode.value, found.mode.value)
    for name in sorted(set(expected.risk_limits) | set(found.risk_limits)):
        want, got = expected.risk_limits.get(name), found.risk_limits.get(name)
        if want != got:
            add("safety", f"risk_limits.{name}", "absent" if want is None else want, "absent" if got is None else got)
    if tuple(found.blocked_symbols) != tuple(expected.blocked_symbols):
        add("safety", "blocked_symbols", list(expected.blocked_symbols), list(found.blocked_symbols))
    if found.strategies != expected.strategies:
        add(
            "config",
            "strategies",
            [s.model_dump() for s in expected.strategies],
            [s.model_dump() for s in found.strategies],
        )
    if found.config_version != expected.config_version:
        add("config", "config_version", expected.config_version[:12], found.config_version[:12])
    if found.environment != expected.environment:
        add("config", "environment", expected.environment, found.environment)
    return events


def unreadable(environment: str, expected: ControlState | None, problem: str) -> DriftEvent:
    """Missing or malformed control keys: not trading, and a safety drift."""
    before = f"trading {expected.trading.value}" if expected is not None else "a control state"
    return DriftEvent(environment, "safety", UNREADABLE, before, f"unreadable ({problem[:200]})")


def loosened(events: list[DriftEvent]) -> bool:
    """Did the trading switch move towards more risk than the store allows?"""
    for event in events:
        if event.subject == "trading":
            return STRICTNESS[TradingState(event.after)] < STRICTNESS[TradingState(event.before)]
    return False


def tightened(events: list[DriftEvent]) -> bool:
    for event in events:
        if event.subject == "trading":
            return STRICTNESS[TradingState(event.after)] > STRICTNESS[TradingState(event.before)]
    return False
