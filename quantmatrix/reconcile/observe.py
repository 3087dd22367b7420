"""Observe the running system into `Observed`: the driver for the services, the control plane
for trading, the store for the applied configuration, the schema revision, the deployments,
the journal and the operator's halt. Read-only; anything unreadable is observed as unknown.

The components are probed concurrently (a thread each; the process driver's health URLs
answer in a few milliseconds, but three in a row were a third of a no-op reconcile pass),
while this thread reads the store in one statement or two (`runtime.store.snapshot`).
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.observed import DeploymentView, Observed, OperatorHalt, RunningComponent, TradingView
from quantmatrix.runtime.controlstate import HALT_ACTION, RESUME_ACTION, ControlState, ControlUnavailable
from quantmatrix.runtime.drivers import Observed as Seen
from quantmatrix.runtime.store import Store
from quantmatrix.runtime.store.deployments import DeploymentRecord
from quantmatrix.runtime.store.snapshot import schema_revision_in, standing_halt_in, store_snapshot

__all__ = [
    "HALT_ACTION",
    "RESUME_ACTION",
    "deployment_view",
    "observe_environment",
    "observe_trading",
    "operator_halt",
    "trading_view",
    "schema_revision",
]


def schema_revision(store: Store) -> str | None:
    """The trading schema's alembic revision (None: never migrated), without loading alembic."""
    with store.begin(readonly=True) as conn:
        return schema_revision_in(conn)


def deployment_view(record: DeploymentRecord) -> DeploymentView:
    return DeploymentView(
        id=record.id,
        status=record.status,
        release=record.release,
        started_at=record.started_at,
        finished_at=record.finished_at,
        monitoring_until=record.monitoring_until,
        rollback_of=record.rollback_of,
    )


def _halt(entry: dict[str, Any] | None) -> OperatorHalt | None:
    if entry is None:
        return None
    detail = entry.get("detail") or {}
    return OperatorHalt(reason=str(detail.get("reason", "")), by=str(entry["actor"]), at=entry["at"])


def operator_halt(store: Store, environment: str) -> OperatorHalt | None:
    """The standing operator halt: the last `qm halt` not followed by a `qm resume` (audit log)."""
    with store.begin(readonly=True) as conn:
        return _halt(standing_halt_in(conn, environment))


def observe_trading(connected: Connected) -> TradingView:
    if connected.control is None:
        return TradingView(problem="no control state yet")
    try:
        state = connected.control.read()
    except ControlUnavailable as error:
        return TradingView(problem=str(error))
    return trading_view(state)


def trading_view(state: ControlState) -> TradingView:
    return TradingView(
        state=state.trading, reason=state.reason, changed_by=state.changed_by, config_version=state.config_version
    )


def _running(seen: Seen) -> RunningComponent:
    return RunningComponent(
        version=seen.version, health=seen.health, endpoint=seen.endpoint, message=seen.message[:200]
    )


@functools.cache
def _probes() -> ThreadPoolExecutor:
    """The probing threads, started once per process (starting three threads per pass cost
    more than a probe on a loaded machine); idle ones only wait on the pool's queue."""
    return ThreadPoolExecutor(max_workers=2 * len(COMPONENTS), thread_name_prefix="qm-observe")


def observe_environment(connected: Connected, control: ControlState | None = None) -> Observed:
    """`control`: the control keys as the caller has just read them (the reconcile loop's drift
    check, a moment ago, found them as they should be); None: read them here."""
    probes = {component: _probes().submit(connected.driver.observe, component) for component in COMPONENTS}
    try:
        store = connected.store
        snapshot = store_snapshot(store, connected.name) if store is not None else None
        if store is None:
            trading = TradingView(problem="no state store yet")
        else:
            trading = trading_view(control) if control is not None else observe_trading(connected)
    except BaseException:
        wait(probes.values())  # nothing of this observation outlives it
        raise
    components = {component: _running(probe.result()) for component, probe in probes.items()}
    if snapshot is None:
        return Observed(environment=connected.name, components=components, trading=trading)
    applied, last, interrupted = snapshot.applied, snapshot.last, snapshot.interrupted
    return Observed(
        environment=connected.name,
        components=components,
        config_version=applied.config_version if applied else None,
        config_release=applied.release if applied else None,
        migration_revision=snapshot.schema_revision,
        trading=trading,
        last_deployment=deployment_view(last) if last else None,
        interrupted=deployment_view(interrupted) if interrupted else None,
        finished_steps=snapshot.finished_steps,
        operator_halt=_halt(snapshot.halt),
    )
