"""The reconcile loop's events as metrics: an implementation of the loop's `LoopEvents`
protocol (`reconcile/loop_events.py`, branch reconcile-loop) by structure, so this module
does not import the loop: `FanOut(LoggingEvents(), MetricsEvents(metrics))`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from quantmatrix.observability.metrics import DRIFT_KINDS, Metrics, drift_kind

SUCCESSFUL_DEPLOYMENTS = ("succeeded", "resumed")


class DriftLike(Protocol):
    @property
    def environment(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def subject(self) -> str: ...


class MetricsEvents:
    """Every loop event moves the series it concerns; label values stay bounded (`Metrics`)."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        self.metrics, self.clock = metrics, clock

    def pass_started(self, environment: str) -> None:
        pass

    def pass_finished(self, environment: str, result: str, seconds: float, detail: str) -> None:
        self.metrics.observe_pass(seconds, result)
        if result in ("in_sync", "applied"):
            self.metrics.environment_in_sync(environment, True)
        elif result in ("refused", "failed", "unavailable"):
            self.metrics.environment_in_sync(environment, False)

    def drift_detected(self, event: DriftLike) -> None:
        kind = event.kind if event.kind in DRIFT_KINDS else drift_kind(event.subject)
        self.metrics.drift_detected(event.environment, kind)
        self.metrics.environment_in_sync(event.environment, False)

    def trading_changed(self, environment: str, state: str, reason: str) -> None:
        self.metrics.trading_state(environment, state)

    def deployment(self, environment: str, deployment_id: str | None, result: str) -> None:
        self.metrics.deployment(environment, result)
        if result in SUCCESSFUL_DEPLOYMENTS:
            self.metrics.apply_finished(environment, self.clock())

    def degraded(self, environment: str | None, reason: str) -> None:
        if environment is not None:
            self.metrics.environment_in_sync(environment, False)  # blind: not known to be in sync

    def recovered(self, environment: str | None) -> None:
        pass

    def ownership(self, environment: str, owned: bool) -> None:
        pass
