"""`qm status`: desired vs running for one environment, as one JSON-ready document."""

from __future__ import annotations

from typing import Any

from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.observe import observe_environment
from quantmatrix.reconcile.observed import Observed
from quantmatrix.reconcile.plan import Desired, drift, plan


def _when(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def status_document(desired: Desired, observed: Observed) -> dict[str, Any]:
    """The keys of issue 10's contract (and the monitoring window's end)."""
    the_plan = plan(desired, observed)
    last = observed.last_deployment
    spec = desired.environment.spec
    found = [change.model_dump() for change in drift(desired, observed)]
    pinned = desired.release.metadata.name
    if last is not None and last.status == "succeeded" and last.rollback_of is not None and last.release != pinned:
        # `qm rollback` left git pinning the newer release on purpose: say so first
        found.insert(
            0,
            {
                "subject": "release",
                "before": last.release,
                "after": pinned,
                "note": f"rolled back to {last.release}; git pins {pinned}",
            },
        )
    return {
        "environment": desired.name,
        "mode": spec.mode.value,
        "desired": {"release": desired.release.metadata.name, "config_version": desired.config_version},
        "running": {
            "release": observed.running_release,
            "config_version": observed.trading.config_version,
            "components": {name: {"version": c.version, "health": c.health} for name, c in observed.components.items()},
        },
        "trading": {
            "state": observed.trading.state.value if observed.trading.state else None,
            "reason": observed.trading.reason or observed.trading.problem,
            "changed_by": observed.trading.changed_by,
            "operator_halt": observed.operator_halt.model_dump(mode="json") if observed.operator_halt else None,
        },
        "in_sync": the_plan.in_sync and not found,
        "drift": found,
        "last_deployment": None
        if last is None
        else {
            "id": last.id,
            "status": last.status,
            "started_at": _when(last.started_at),
            "finished_at": _when(last.finished_at),
        },
        "monitoring_until": _when(last.monitoring_until) if last else None,
    }


def environment_status(desired: Desired, connected: Connected) -> dict[str, Any]:
    return status_document(desired, observe_environment(connected))
