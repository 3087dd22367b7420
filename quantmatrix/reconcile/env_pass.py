"""One environment inside `qm reconcile`: own it, keep it open, check its control keys on
every wake-up, and run a full pass (plan → apply, with every gate of the apply path) at its
interval or when the desired commit changes.

Fail closed: an outage leaves the environment degraded; nothing is enabled while the loop is
blind (the apply path enables trading only after its checks), and the connections are
reopened from scratch when the services return.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from quantmatrix.errors import DeployFailed, QMError, Refused, RuntimeUnavailable
from quantmatrix.reconcile.apply import StopRequested, apply, desired_of
from quantmatrix.reconcile.backoff import Backoff
from quantmatrix.reconcile.connect import Connected, connect
from quantmatrix.reconcile.heal import Alert, heal, key_prefix, observe_drift, policy_for
from quantmatrix.reconcile.holder import LockHeld, this_process
from quantmatrix.reconcile.loop_events import DriftEvent, LoopEvents, PassResult
from quantmatrix.reconcile.observe import observe_environment
from quantmatrix.reconcile.ownership import Owned, try_own_file, try_own_pg
from quantmatrix.reconcile.plan import Desired as PlanDesired
from quantmatrix.reconcile.plan import plan
from quantmatrix.reconcile.steps import Plan
from quantmatrix.reconcile.watch import RedisWatcher, StorePoller
from quantmatrix.repo.loader import DesiredState
from quantmatrix.repo.source import Source
from quantmatrix.runtime.controlstate import ControlState, ControlUnavailable
from quantmatrix.runtime.store.events import record_drift

log = logging.getLogger("quantmatrix.reconcile")
RETRY_REFUSED_SECONDS = 60.0
CONFIRM_SECONDS = 0.03


@dataclass
class Desired:
    """The desired state the loop reconciles to: loaded once per commit."""

    state: DesiredState
    source: Source
    root: Path
    commit: str | None


def _outage(error: BaseException) -> bool:
    from redis import RedisError

    return isinstance(
        error, (RuntimeUnavailable, SQLAlchemyError, RedisError, ControlUnavailable, OSError, TimeoutError)
    )


@dataclass
class EnvironmentLoop:
    name: str
    events: LoopEvents
    wake: Callable[[str], None]
    stopping: threading.Event
    clock: Callable[[], datetime]
    alert: Alert
    fetch: Callable[[], None] | None = None  # the loop's trigger_fetch: another replica received the webhook
    backoff: Backoff = field(default_factory=Backoff)
    owned: Owned | None = None
    connected: Connected | None = None
    connected_commit: str | None = None
    watcher: RedisWatcher | StorePoller | None = None
    watcher_stop: threading.Event = field(default_factory=threading.Event)
    next_full: float = 0.0  # monotonic time of the next full pass
    retry_at: float = 0.0  # after an outage, nothing before this
    degraded: str = ""
    reported: set[tuple[str, str, str]] = field(default_factory=set)
    last_problem: str = ""
    held_back: tuple[str | None, float] | None = None  # (commit, until): a refused or failed apply is not retried hot
    desired_side: tuple[Desired, Connected, PlanDesired] | None = None  # see _plan
    checked_control: ControlState | None = None  # the control keys this pass's drift check found in order

    # -- ownership and connections ------------------------------------------------------
    def _own(self, desired: Desired) -> bool:
        if self.owned is not None and self.owned.alive():
            return True
        if self.owned is not None:  # lost (its session died): let go of everything
            self.release()
        environment = desired.state.environments[self.name]
        store_url = environment.spec.runtime.store.url
        if store_url is not None:
            from quantmatrix.reconcile.connect import _secret

            secret = _secret(desired.state, store_url.secret, environment)
            self.owned = try_own_pg(secret.reveal(), self.name, this_process("reconcile", self.clock()))
        else:
            self.owned = try_own_file(desired.root, self.name)
        if self.owned is not None:
            self.events.ownership(self.name, True)
        return self.owned is not None

    def _connect(self, desired: Desired) -> Connected:
        if self.connected is not None and self.connected_commit == desired.commit:
            return self.connected
        self._disconnect()
        self.connected = connect(desired.state, self.name, desired.root)
        self.connected_commit = desired.commit
        self._start_watcher(self.connected)
        return self.connected

    def _start_watcher(self, connected: Connected) -> None:
        self.watcher_stop = threading.Event()
        if connected.redis_secret is not None:
            self.watcher = RedisWatcher(
                self.name, connected.redis_secret, key_prefix(connected), self.wake, self.watcher_stop, fetch=self.fetch
            )
        elif connected.control is not None:
            control = connected.control
            self.watcher = StorePoller(self.name, control.read, self.wake, self.watcher_stop)
        else:
            return
        self.watcher.start()

    def _disconnect(self) -> None:
        self.desired_side = None
        self.watcher_stop.set()
        if self.watcher is not None:
            self.watcher.join(timeout=3)
            self.watcher = None
        if self.connected is not None:
            try:
                self.connected.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.connected = None

    def release(self) -> None:
        """Stop watching, close, and give up ownership (SIGTERM, or ownership lost)."""
        self._disconnect()
        if self.owned is not None:
            self.owned.release()
            self.owned = None
            self.events.ownership(self.name, False)

    # -- passes ---------------------------------------------------------------------------
    def run(self, desired: Desired, *, full: bool) -> PassResult:
        """One wake-up: control drift always; plan → apply when `full`."""
        if time.monotonic() < self.retry_at:
            return "skipped"
        started = time.monotonic()
        self.events.pass_started(self.name)
        try:
            if not self._own(desired):
                self.events.pass_finished(
                    self.name, "skipped", time.monotonic() - started, "owned by another reconciler"
                )
                return "skipped"
            connected = self._connect(desired)
            self.checked_control = None
            needs_pass = self._control_drift(connected)
            result, detail = self._full(desired, connected) if (full or needs_pass) else ("checked", "")
        except StopRequested:
            result, detail = "skipped", "stopped between two steps"
        except Exception as error:  # noqa: BLE001 - one error boundary per pass: the loop outlives it
            if not _outage(error):
                raise
            return self._down(error, started)
        if self.degraded:
            self.degraded = ""
            self.events.recovered(self.name)
        self.backoff.reset()
        self.events.pass_finished(self.name, result, time.monotonic() - started, detail)
        return result

    def _down(self, error: BaseException, started: float) -> PassResult:
        reason = (
            "; ".join(p.message for p in error.problems) if isinstance(error, QMError) else f"{type(error).__name__}"
        )
        if not self.degraded:
            self.events.degraded(self.name, reason[:300])
        self.degraded = reason
        self.retry_at = time.monotonic() + self.backoff.next_delay()
        self._disconnect()  # reopen everything when the services are back
        if self.owned is not None and not self.owned.alive():
            self.release()
        self.events.pass_finished(self.name, "unavailable", time.monotonic() - started, reason[:300])
        return "unavailable"

    def _control_drift(self, connected: Connected) -> bool:
        events, stored, found = observe_drift(connected, self.clock())
        if events:
            # another writer (qm halt, qm apply) writes the store, then the mirror: a look
            # between the two is not drift. Only what is still there a moment later is acted on.
            time.sleep(CONFIRM_SECONDS)
            events, stored, found = observe_drift(connected, self.clock())
        if not events:
            self.reported.clear()
            self.checked_control = found  # as they should be: this pass's plan need not read them again
            return False
        signature = {(e.subject, e.before, e.after) for e in events}
        policy = policy_for(connected.environment)
        if signature <= self.reported:
            return False  # reported already, nothing new
        done, needs_pass = heal(connected, events, stored, policy, self.clock(), self.alert)
        for event in done:
            self.events.drift_detected(event)
        if any(e.action == "halted" for e in done):
            self.events.trading_changed(self.name, "HALTED", "drift: " + ", ".join(e.subject for e in done))
        self.reported = signature if all(e.action == "reported" for e in done) else set()
        return needs_pass

    def _plan(self, desired: Desired, connected: Connected) -> Plan:
        """`compute_plan`, with the desired side (the migration chain read from the commit's
        tree, the configuration's hash) worked out once per desired state and connection:
        both are fixed for the commit. The running side is observed afresh every time."""
        if self.desired_side is None or self.desired_side[0] is not desired or self.desired_side[1] is not connected:
            self.desired_side = (
                desired,
                connected,
                desired_of(desired.state, connected, desired.commit, desired.source),
            )
        control, self.checked_control = self.checked_control, None
        return plan(self.desired_side[2], observe_environment(connected, control))

    def _full(self, desired: Desired, connected: Connected) -> tuple[PassResult, str]:
        the_plan = self._plan(desired, connected)
        if the_plan.in_sync:
            self.last_problem = ""
            return "in_sync", ""
        if self.held_back is not None and self.held_back[0] == desired.commit and time.monotonic() < self.held_back[1]:
            return (
                "skipped",
                f"not retried before {self.held_back[1] - time.monotonic():.0f}s: {self.last_problem[:300]}",
            )
        if policy_for(connected.environment).services == "report":
            self._report_plan(
                connected,
                [DriftEvent(self.name, "services", c.subject, str(c.after), str(c.before)) for c in the_plan.drift],
            )
            return "skipped", f"{len(the_plan.steps)} steps not applied (self_heal.services: report)"
        try:
            result = apply(
                desired.state,
                desired.source,
                self.name,
                desired.root,
                commit=desired.commit,
                connected=connected,
                stop_requested=self.stopping.is_set,
                clock=self.clock,
            )
        except LockHeld as error:
            return "skipped", error.problems[0].message
        except Refused as error:
            return self._once("refused", "; ".join(p.message for p in error.problems), desired.commit)
        except DeployFailed as error:
            self.events.deployment(self.name, None, "failed")
            return self._once("failed", "; ".join(p.message for p in error.problems), desired.commit)
        self.last_problem, self.held_back = "", None
        self.events.deployment(self.name, result.deployment_id, "resumed" if result.resumed else "succeeded")
        return "applied", f"deployment {result.deployment_id}"

    def _once(self, result: PassResult, problem: str, commit: str | None) -> tuple[PassResult, str]:
        """A refusal or a failure is logged once, and retried on a new commit or after
        RETRY_REFUSED_SECONDS (a window opening, an approval recorded), not at every interval."""
        self.held_back = (commit, time.monotonic() + RETRY_REFUSED_SECONDS)
        if problem != self.last_problem:
            log.warning("%s %s: %s", self.name, result, problem[:500])
            self.last_problem = problem
        return result, problem[:500]

    def _report_plan(self, connected: Connected, events: list[DriftEvent]) -> None:
        signature = {(e.subject, e.before, e.after) for e in events}
        if signature <= self.reported:
            return
        assert connected.store is not None
        for event in events:
            record_drift(
                connected.store,
                self.name,
                event.subject,
                event.before,
                event.after,
                detail="services: reported",
                now=self.clock(),
            )
            self.events.drift_detected(event)
        self.reported |= signature
