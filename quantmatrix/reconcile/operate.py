"""Operator actions outside an apply: halt (immediate, no lock), resume (only after health,
smoke, safety and reconciliation checks pass), down (stop what the driver started).

An operator halt is recorded in the audit log (`operator.halt`) and written to the control
plane at once; it stands until `qm resume` (`operator.resume`): every apply reads it, keeps
trading HALTED and never enables trading over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quantmatrix.errors import Problem, Refused
from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.reconcile import actions
from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.observe import operator_halt
from quantmatrix.runtime.controlstate import HALT_ACTION, RESUME_ACTION, TradingState
from quantmatrix.runtime.store.events import append_audit


@dataclass(frozen=True)
class Outcome:
    lines: tuple[str, ...]


def _who(by: str | None) -> str:
    from quantmatrix.runtime.store.events import origin

    return by or origin().split(" pid ")[0]


def halt(connected: Connected, reason: str, now: datetime, by: str | None = None) -> Outcome:
    """Recorded first (the record is what outlives restarts), then trading HALTED."""
    if connected.store is None:
        raise Refused(Problem(connected.name, message="nothing has been deployed here: no state store to halt"))
    if not reason.strip():
        raise Refused(Problem(subject="--reason", message="a halt needs a reason"))
    who = _who(by)
    append_audit(connected.store, who, HALT_ACTION, environment=connected.name, detail={"reason": reason}, now=now)
    done = actions.set_trading(connected, TradingState.HALTED, f"operator halt: {reason}", now)
    return Outcome((f"operator halt recorded by {who}", done))


def resume(connected: Connected, now: datetime, by: str | None = None) -> Outcome:
    """Clear the operator halt and enable trading, only if every check passes now."""
    if connected.store is None:
        raise Refused(Problem(connected.name, message="nothing has been deployed here: nothing to resume"))
    results = actions.run_named_checks(connected, None, None)
    failed = [r for r in results if not r.passed]
    if failed:
        raise Refused([Problem(r.name, message=f"{r.message} (resume refused: trading stays HALTED)") for r in failed])
    who = _who(by)
    standing = operator_halt(connected.store, connected.name)
    append_audit(
        connected.store,
        who,
        RESUME_ACTION,
        environment=connected.name,
        detail={"halt_reason": standing.reason if standing else None},
        now=now,
    )
    done = actions.set_trading(
        connected, TradingState.ACTIVE, f"resumed by {who} after {len(results)} checks passed", now
    )
    return Outcome(
        (f"{len(results)} checks passed (health, smoke, safety, reconciliation)", f"resume recorded by {who}", done)
    )


def down(connected: Connected, now: datetime) -> Outcome:
    """Stop every component (ui, workers, api). Trading is halted first when a store exists."""
    lines = []
    if connected.store is not None and connected.control is not None:
        try:
            lines.append(actions.set_trading(connected, TradingState.HALTED, "qm down: services stopped", now))
        except Exception as error:  # noqa: BLE001 - stopping must go on
            lines.append(f"trading not halted ({type(error).__name__})")
        append_audit(connected.store, _who(None), "down", environment=connected.name, now=now)
    for component in reversed(COMPONENTS):
        connected.driver.stop(component)
        lines.append(f"stopped {component}")
    return Outcome(tuple(lines))
