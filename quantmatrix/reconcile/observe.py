"""Observe the running system into `Observed`: the driver for the services, the control plane
for trading, the store for the applied configuration, the schema revision, the deployments,
the journal and the operator's halt. Read-only; anything unreadable is observed as unknown."""

from __future__ import annotations

from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.observed import DeploymentView, Observed, OperatorHalt, RunningComponent, TradingView
from quantmatrix.runtime.controlstate import HALT_ACTION, RESUME_ACTION, ControlUnavailable
from quantmatrix.runtime.store import Store
from quantmatrix.runtime.store.deployments import DeploymentRecord, applied_config_version, last_deployment
from quantmatrix.runtime.store.events import audit_log
from quantmatrix.runtime.store.journal import journal_steps


def schema_revision(store: Store) -> str | None:
    """The trading schema's alembic revision, read from alembic's version table without
    loading alembic (None: never migrated)."""
    from sqlalchemy import inspect, text

    with store.begin() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return rows[0] if len(rows) == 1 else (",".join(sorted(rows)) or None)


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


def operator_halt(store: Store, environment: str) -> OperatorHalt | None:
    """The standing operator halt: the last `qm halt` not followed by a `qm resume` (audit log)."""
    standing: OperatorHalt | None = None
    for entry in audit_log(store, environment):
        if entry["action"] == HALT_ACTION:
            detail = entry.get("detail") or {}
            standing = OperatorHalt(reason=str(detail.get("reason", "")), by=str(entry["actor"]), at=entry["at"])
        elif entry["action"] == RESUME_ACTION:
            standing = None
    return standing


def observe_trading(connected: Connected) -> TradingView:
    if connected.control is None:
        return TradingView(problem="no control state yet")
    try:
        state = connected.control.read()
    except ControlUnavailable as error:
        return TradingView(problem=str(error))
    return TradingView(
        state=state.trading, reason=state.reason, changed_by=state.changed_by, config_version=state.config_version
    )


def observe_environment(connected: Connected) -> Observed:
    components = {}
    for component in COMPONENTS:
        seen = connected.driver.observe(component)
        components[component] = RunningComponent(
            version=seen.version, health=seen.health, endpoint=seen.endpoint, message=seen.message[:200]
        )
    store = connected.store
    if store is None:
        return Observed(
            environment=connected.name, components=components, trading=TradingView(problem="no state store yet")
        )
    applied = applied_config_version(store, connected.name)
    last = last_deployment(store, connected.name)
    interrupted = last if last is not None and last.status == "running" else None
    finished = (
        tuple(s.step for s in journal_steps(store, interrupted.id) if s.state == "finished") if interrupted else ()
    )
    return Observed(
        environment=connected.name,
        components=components,
        config_version=applied.config_version if applied else None,
        config_release=applied.release if applied else None,
        migration_revision=schema_revision(store),
        trading=observe_trading(connected),
        last_deployment=deployment_view(last) if last else None,
        interrupted=deployment_view(interrupted) if interrupted else None,
        finished_steps=finished,
        operator_halt=operator_halt(store, connected.name),
    )
