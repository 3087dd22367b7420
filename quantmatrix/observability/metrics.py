"""Prometheus metrics of the reconciler, in the anchors' conventions (Argo CD's
`argocd_app_reconcile`, Flux's `gotk_reconcile_duration_seconds`): a `qm_` prefix, base units
in the name (`_seconds`), counters ending in `_total`, one label per dimension.

One `Metrics` holds its own `CollectorRegistry` (never the global default, so two servers in
one process or a test never share series). Label values are bounded: the environment must be a
valid environment name (the model's `Name`) and at most `MAX_ENVIRONMENTS` distinct ones are
accepted; `result`, `kind` and `state` come from the fixed sets below, anything else is
counted as `other`/`unknown`. A hostile name therefore can neither grow the series without
bound nor put text into the exposition format.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")  # model.common.Name
MAX_ENVIRONMENT_NAME = 63
MAX_ENVIRONMENTS = 64

# The reconcile loop's vocabulary (`reconcile.loop_events`): a pass ends in_sync (no-op),
# applied, checked (control keys only), skipped (owned elsewhere), refused, failed, unavailable.
PASS_RESULTS = ("in_sync", "applied", "checked", "skipped", "refused", "failed", "unavailable")
DRIFT_KINDS = ("safety", "config", "services", "other")
TRADING_STATES = ("ACTIVE", "REDUCING", "HALTED", "UNKNOWN")
DEPLOYMENT_RESULTS = ("succeeded", "resumed", "failed", "rolled_back", "refused")
# `reconcile.plan.drift` subjects → kinds: the trading switch is safety, the configuration
# (control keys, limits) config, components and the schema services.
_SUBJECT_KINDS = {"trading": "safety", "configuration": "config", "component": "services", "migrations": "services"}
# From a no-op pass (target ≤ 50 ms) to a full apply with migrations (minutes).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class LabelRefused(ValueError):
    """An environment label that is not a valid name, or one too many."""


def _bounded(value: str, allowed: tuple[str, ...], fallback: str) -> str:
    return value if value in allowed else fallback


def drift_kind(subject: str) -> str:
    """The `kind` label of a drift subject as `reconcile.plan.drift` names it (`component.api` → `services`)."""
    return _SUBJECT_KINDS.get(subject.split(".", 1)[0], "other")


class Metrics:
    """The reconciler's series. Methods are the event sink the loop and the status page call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._environments: set[str] = set()
        self._lock = threading.Lock()
        r = self.registry
        self.reconcile_duration = Histogram(
            "qm_reconcile_duration_seconds",
            "Duration of one reconciliation pass.",
            registry=r,
            buckets=DURATION_BUCKETS,
        )
        self.reconcile_total = Counter("qm_reconcile_total", "Reconciliation passes by result.", ["result"], registry=r)
        self.drift_total = Counter(
            "qm_drift_detected_total", "Drift detected, by environment and kind.", ["environment", "kind"], registry=r
        )
        self.trading = Gauge(
            "qm_trading_state",
            "1 for the environment's current trading state, 0 for the others.",
            ["environment", "state"],
            registry=r,
        )
        self.deployments_total = Counter(
            "qm_deployments_total",
            "Deployments finished, by environment and result.",
            ["environment", "result"],
            registry=r,
        )
        self.last_apply = Gauge(
            "qm_last_apply_timestamp_seconds",
            "Unix time the last successful apply of the environment finished.",
            ["environment"],
            registry=r,
        )
        self.in_sync = Gauge(
            "qm_environment_in_sync",
            "1 when the running system matches the desired state, 0 when it drifts or is unknown.",
            ["environment"],
            registry=r,
        )
        for result in PASS_RESULTS:  # every result exists from the start: rate() and alerts see 0, not absence
            self.reconcile_total.labels(result=result)

    def environment(self, name: str) -> str:
        """`name` as a label value, or `LabelRefused`."""
        if not isinstance(name, str) or len(name) > MAX_ENVIRONMENT_NAME or not ENVIRONMENT_NAME.fullmatch(name):
            raise LabelRefused(f"not an environment name: {name!r:.80}")
        with self._lock:
            if name not in self._environments:
                if len(self._environments) >= MAX_ENVIRONMENTS:
                    raise LabelRefused(f"more than {MAX_ENVIRONMENTS} environments")
                self._environments.add(name)
        return name

    def observe_pass(self, duration_seconds: float, result: str) -> None:
        self.reconcile_duration.observe(max(0.0, float(duration_seconds)))
        self.reconcile_total.labels(result=_bounded(result, PASS_RESULTS, "failed")).inc()

    def drift_detected(self, environment: str, kind: str) -> None:
        self.drift_total.labels(
            environment=self.environment(environment), kind=_bounded(kind, DRIFT_KINDS, "other")
        ).inc()

    def trading_state(self, environment: str, state: str | None) -> None:
        """One state is 1, the others 0; a missing or unknown state is `UNKNOWN` (not trading)."""
        env = self.environment(environment)
        current = _bounded(state or "UNKNOWN", TRADING_STATES, "UNKNOWN")
        for each in TRADING_STATES:
            self.trading.labels(environment=env, state=each).set(1 if each == current else 0)

    def deployment(self, environment: str, result: str) -> None:
        self.deployments_total.labels(
            environment=self.environment(environment), result=_bounded(result, DEPLOYMENT_RESULTS, "failed")
        ).inc()

    def apply_finished(self, environment: str, timestamp: float) -> None:
        self.last_apply.labels(environment=self.environment(environment)).set(float(timestamp))

    def environment_in_sync(self, environment: str, in_sync: bool) -> None:
        self.in_sync.labels(environment=self.environment(environment)).set(1 if in_sync is True else 0)

    def observe_status(self, document: dict[str, Any]) -> None:
        """Gauges from a status document (`reconcile.status`): in sync and trading state; an
        unreadable environment (`error`) is out of sync and UNKNOWN."""
        name = document["environment"]
        ok = "error" not in document
        self.environment_in_sync(name, ok and document.get("in_sync") is True)
        self.trading_state(name, (document.get("trading") or {}).get("state") if ok else None)

    def drifts(self, environment: str, subjects: Iterable[str]) -> None:
        for subject in subjects:
            self.drift_detected(environment, drift_kind(subject))

    def exposition(self) -> bytes:
        """The text format served on `/metrics`."""
        return generate_latest(self.registry)
