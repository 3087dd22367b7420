"""What the reconcile loop reports, for whoever listens (metrics, JSON logs, the status page).

The loop calls a `LoopEvents`; it never knows who listens. `NoEvents` is the default, and
`LoggingEvents` writes one log line per event. Metrics and the status page (issue 11's
observability) implement the same Protocol and plug in without touching the loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

PassResult = Literal[
    "in_sync", "applied", "refused", "failed", "unavailable", "skipped", "checked"
]  # checked: control keys only
DriftKind = Literal["safety", "config", "services"]


@dataclass(frozen=True)
class DriftEvent:
    """One difference between what should be and what is. Values are display strings
    (numbers, states, names, hashes): never a secret's value."""

    environment: str
    kind: DriftKind
    subject: str
    before: str  # what it should be (the store / the desired state)
    after: str  # what was found
    action: str = "reported"  # corrected | halted | reported | applied


class LoopEvents(Protocol):
    def pass_started(self, environment: str) -> None: ...

    def pass_finished(self, environment: str, result: PassResult, seconds: float, detail: str) -> None: ...

    def drift_detected(self, event: DriftEvent) -> None: ...

    def trading_changed(self, environment: str, state: str, reason: str) -> None: ...

    def deployment(self, environment: str, deployment_id: str | None, result: str) -> None: ...

    def degraded(self, environment: str | None, reason: str) -> None:
        """A service the loop needs is unavailable (`environment` None: the loop itself, e.g. git)."""
        ...

    def recovered(self, environment: str | None) -> None: ...

    def ownership(self, environment: str, owned: bool) -> None: ...


class NoEvents:
    def pass_started(self, environment: str) -> None:
        pass

    def pass_finished(self, environment: str, result: PassResult, seconds: float, detail: str) -> None:
        pass

    def drift_detected(self, event: DriftEvent) -> None:
        pass

    def trading_changed(self, environment: str, state: str, reason: str) -> None:
        pass

    def deployment(self, environment: str, deployment_id: str | None, result: str) -> None:
        pass

    def degraded(self, environment: str | None, reason: str) -> None:
        pass

    def recovered(self, environment: str | None) -> None:
        pass

    def ownership(self, environment: str, owned: bool) -> None:
        pass


class LoggingEvents(NoEvents):
    """One line per event on the `quantmatrix.reconcile` logger (a no-op pass logs at debug)."""

    def __init__(self, logger: logging.Logger | None = None):
        self.log = logger or logging.getLogger("quantmatrix.reconcile")

    def pass_finished(self, environment: str, result: PassResult, seconds: float, detail: str) -> None:
        level = logging.DEBUG if result in ("in_sync", "checked", "skipped") else logging.INFO
        self.log.log(
            level, "pass %s: %s in %.0f ms%s", environment, result, seconds * 1000, f": {detail}" if detail else ""
        )

    def drift_detected(self, event: DriftEvent) -> None:
        self.log.warning(
            "drift %s %s %s: %s -> %s (%s)",
            event.environment,
            event.kind,
            event.subject,
            event.before,
            event.after,
            event.action,
        )

    def trading_changed(self, environment: str, state: str, reason: str) -> None:
        self.log.warning("trading %s: %s (%s)", environment, state, reason)

    def deployment(self, environment: str, deployment_id: str | None, result: str) -> None:
        self.log.info("deployment %s %s: %s", environment, deployment_id or "-", result)

    def degraded(self, environment: str | None, reason: str) -> None:
        self.log.warning("degraded %s: %s", environment or "loop", reason)

    def recovered(self, environment: str | None) -> None:
        self.log.info("recovered %s", environment or "loop")

    def ownership(self, environment: str, owned: bool) -> None:
        self.log.info("%s %s", "owning" if owned else "released", environment)


class FanOut(NoEvents):
    """Several listeners at once (e.g. logs and metrics)."""

    def __init__(self, *listeners: LoopEvents):
        self.listeners = listeners

    def pass_started(self, environment: str) -> None:
        for listener in self.listeners:
            listener.pass_started(environment)

    def pass_finished(self, environment: str, result: PassResult, seconds: float, detail: str) -> None:
        for listener in self.listeners:
            listener.pass_finished(environment, result, seconds, detail)

    def drift_detected(self, event: DriftEvent) -> None:
        for listener in self.listeners:
            listener.drift_detected(event)

    def trading_changed(self, environment: str, state: str, reason: str) -> None:
        for listener in self.listeners:
            listener.trading_changed(environment, state, reason)

    def deployment(self, environment: str, deployment_id: str | None, result: str) -> None:
        for listener in self.listeners:
            listener.deployment(environment, deployment_id, result)

    def degraded(self, environment: str | None, reason: str) -> None:
        for listener in self.listeners:
            listener.degraded(environment, reason)

    def recovered(self, environment: str | None) -> None:
        for listener in self.listeners:
            listener.recovered(environment)

    def ownership(self, environment: str, owned: bool) -> None:
        for listener in self.listeners:
            listener.ownership(environment, owned)
