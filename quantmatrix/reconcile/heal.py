"""Self-heal: what the loop does about control-key drift, by the environment's policy.

    correct  rewrite the control keys from the store (and the store's configuration from the
             desired state when it was edited by hand); trading is never loosened by it
    halt     an operator halt by `qm reconcile` (only `qm resume` clears it), an incident
             and an alert: the halt rewrites every key from the store, HALTED
    report   a drift record only

Whatever the policy, trading made *stricter* by hand (someone halted in redis-cli) is kept
as an operator halt rather than undone, and keys that cannot be read are never rebuilt into
ACTIVE here: the apply path re-validates before it enables trading (fail closed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from quantmatrix.errors import Problem, RuntimeUnavailable
from quantmatrix.model.common import Mode
from quantmatrix.model.environment import Environment
from quantmatrix.model.runtime import HealAction
from quantmatrix.reconcile import drift as drifts
from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.loop_events import DriftEvent
from quantmatrix.runtime.control import control_from_environment, rebuild_mirror
from quantmatrix.runtime.controlstate import ControlState, ControlUnavailable
from quantmatrix.runtime.store.control_state import load_control
from quantmatrix.runtime.store.events import record_drift, record_incident

ACTOR = "qm reconcile"
log = logging.getLogger("quantmatrix.reconcile")
Alert = Callable[[str, str, str], None]  # (environment, summary, detail)


@dataclass(frozen=True)
class Policy:
    safety: HealAction
    config: HealAction
    services: Literal["apply", "report"]


DEFAULTS: dict[Mode, Policy] = {
    Mode.local: Policy("correct", "correct", "apply"),
    Mode.paper: Policy("correct", "correct", "apply"),
    Mode.backtest: Policy("correct", "correct", "apply"),
    Mode.live: Policy("halt", "report", "apply"),  # apply = the apply path, with every live gate
}


def policy_for(environment: Environment) -> Policy:
    """The environment's `runtime.reconcile.self_heal`, unset fields from its mode's default."""
    default = DEFAULTS[environment.spec.mode]
    chosen = environment.spec.runtime.reconcile.self_heal
    return Policy(chosen.safety or default.safety, chosen.config or default.config, chosen.services or default.services)


def key_prefix(connected: Connected) -> str:
    return connected.environment.spec.redis.key_prefix or f"qm:{connected.name}:"


def log_alert(environment: str, summary: str, detail: str) -> None:
    log.error("ALERT %s: %s (%s)", environment, summary, detail)


def webhook_alert(url: str, timeout: float = 2.0) -> Alert:
    """Log, then POST {environment, summary, detail} as JSON to `url` (its failure is logged;
    the URL itself never is: it may carry a token)."""

    def alert(environment: str, summary: str, detail: str) -> None:
        import httpx

        log_alert(environment, summary, detail)
        try:
            httpx.post(
                url,
                content=json.dumps({"environment": environment, "summary": summary, "detail": detail}),
                headers={"Content-Type": "application/json"},
                timeout=timeout,
            )
        except httpx.HTTPError as error:
            log.error("alert webhook failed for %s: %s", environment, type(error).__name__)

    return alert


def _redis_up(connected: Connected) -> bool:
    from redis import RedisError

    try:
        return bool(connected._redis.ping())
    except RedisError:
        return False


def observe_drift(
    connected: Connected, now: datetime
) -> tuple[list[DriftEvent], ControlState | None, ControlState | None]:
    """The control drift of `connected` now, the store's state it was judged against, and the
    control keys as read (None: not read, or unreadable). Raises `RuntimeUnavailable` when a
    service is down (blind: nothing is decided)."""
    if connected.store is None or connected.control is None:
        return [], None, None
    try:
        stored = load_control(connected.store, connected.name)
    except Exception as error:  # noqa: BLE001 - any store failure is an outage here
        raise RuntimeUnavailable(
            Problem(subject="store", message=f"the state store cannot be read ({type(error).__name__})")
        ) from None
    if stored is None:
        return [], None, None  # never applied: the apply path's business
    desired = control_from_environment(connected.environment, trading=stored.trading, reason="", changed_by="", now=now)
    expected = drifts.expected_state(stored, desired)
    try:
        found = connected.control.read()
    except ControlUnavailable as error:
        if connected._redis is not None and not _redis_up(connected):
            raise RuntimeUnavailable(
                Problem(subject="redis", message="Redis is unavailable: the control keys cannot be read")
            ) from None
        return [drifts.unreadable(connected.name, expected, str(error))], stored, None
    events = drifts.control_drift(connected.name, expected, found)
    if connected._redis is not None and not events:
        # the mirror agrees; a store edited by hand would show here (the store is what Redis mirrors)
        events = [e for e in drifts.control_drift(connected.name, expected, stored) if e.subject != "trading"]
    return events, stored, found


def _action(policy: Policy, events: list[DriftEvent]) -> HealAction:
    return policy.safety if any(e.kind == "safety" for e in events) else policy.config


def heal(
    connected: Connected,
    events: list[DriftEvent],
    stored: ControlState | None,
    policy: Policy,
    now: datetime,
    alert: Alert = log_alert,
) -> tuple[list[DriftEvent], bool]:
    """Act on `events` by `policy`; returns them with what was done, and whether a full pass
    (plan → apply, with its checks) is needed to restore the keys safely."""
    from quantmatrix.reconcile import operate

    assert connected.store is not None and connected.control is not None
    action = _action(policy, events)
    blind = any(e.subject == drifts.UNREADABLE for e in events)
    hand_halt = drifts.tightened(events)
    done: str
    needs_pass = False
    summary = "; ".join(f"{e.subject}: {e.before} -> {e.after}" for e in events)[:900]
    if action == "report" and not hand_halt:
        done = "reported"
    elif action == "halt" or hand_halt:
        reason = (
            "trading made stricter by hand in the control keys"
            if hand_halt and action != "halt"
            else f"{connected.environment.spec.mode.value} safety drift"
        )
        operate.halt(connected, f"{reason}: {summary}"[:500], now, by=ACTOR)
        record_incident(
            connected.store,
            connected.name,
            "drift",
            f"{reason}: trading HALTED until qm resume",
            severity="critical",
            detail=summary,
            recorded_by=ACTOR,
            now=now,
        )
        alert(connected.name, f"{reason}: trading HALTED until qm resume", summary)
        done = "halted"
    elif blind:
        done, needs_pass = "correcting through the apply path (checks before trading)", True
    else:
        assert stored is not None
        desired = control_from_environment(
            connected.environment, trading=stored.trading, reason=stored.reason, changed_by=stored.changed_by, now=now
        )
        expected = drifts.expected_state(stored, desired)
        if drifts.control_drift(connected.name, expected, stored):
            connected.control.write(
                expected.model_copy(update={"changed_at": stored.changed_at}), expected_version=stored.version
            )
        elif connected._redis is not None:
            rebuild_mirror(connected._redis, key_prefix(connected), connected.store, connected.name)
        done = "corrected"
    recorded = [DriftEvent(e.environment, e.kind, e.subject, e.before, e.after, done) for e in events]
    for event in recorded:
        record_drift(
            connected.store,
            connected.name,
            f"control.{event.subject}",
            event.before,
            event.after,
            detail=f"{event.kind}: {done}",
            now=now,
        )
    return recorded, needs_pass
