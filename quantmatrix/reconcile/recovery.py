"""When a step fails (guide §13, §15): stop, assess, halt if needed, restore the previous
release's services, reverse a migration only when the release says it safely can, verify,
record an incident, and say exactly what state is left (exit 4)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from quantmatrix.errors import DeployFailed, Problem
from quantmatrix.model.common import Mode
from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.reconcile import actions
from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.steps import ACTOR, Plan
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.store.deployments import finish_deployment
from quantmatrix.runtime.store.events import record_incident
from quantmatrix.runtime.store.trading_schema import downgrade_schema
from quantmatrix.state import DesiredState


def recover(
    state: DesiredState,
    connected: Connected,
    the_plan: Plan,
    deployment_id: str,
    failed_step: str,
    reason: str,
    done: list[str],
    now: datetime,
    scripts: Path | None = None,
    rollback_of: str | None = None,
) -> DeployFailed:
    """Handle the failure of `failed_step` after `done` steps; return the error to raise.
    `scripts`: the applied tree's `migrations/` (what a reversal runs); `rollback_of`: the
    failing deployment is a rollback away from that release."""
    assert connected.store is not None
    changed = [s for s in done if s in ("configuration", "migrations") or s.startswith("deploy.")]
    safety_failed = failed_step in ("checks", "reconciliation")
    lines = [f"step {failed_step} failed: {reason}"]
    # 1-3: stop (we are here), assess, halt. Live always halts once something changed; any
    # mode halts when the safety checks failed or when what runs is now a mix of releases.
    halt = bool(changed) or safety_failed or connected.environment.spec.mode is Mode.live
    if halt:
        try:
            lines.append(
                actions.set_trading(
                    connected, TradingState.HALTED, f"deployment {deployment_id} failed at {failed_step}", now
                )
            )
        except Exception as error:  # noqa: BLE001 - report, never mask the original failure
            lines.append(f"COULD NOT HALT TRADING ({type(error).__name__}): halt it by hand (qm halt)")
    else:
        lines.append("nothing had changed yet: trading left paused (not re-enabled without checks)")
    # 4: restore the previous release's services
    restored = False
    previous = state.releases.get(the_plan.previous_release or "")
    deployed = [c for c in COMPONENTS if f"deploy.{c}" in done or failed_step == f"deploy.{c}"]
    if previous is not None and deployed:
        for component in reversed(deployed):
            version = getattr(previous.spec.components, component)
            try:
                lines.append("restored " + actions.deploy(connected, component, version))
                restored = True
            except Exception as error:  # noqa: BLE001
                lines.append(f"could not restore {component} {version}: {_first(error)}")
                restored = False
                break
    elif deployed:
        lines.append("no previous release recorded: services left as they are")
    if "migrations" in done:
        lines.append(
            _migration_decision(connected, previous.spec.database.revision if previous else None, scripts, rollback_of)
        )
    if "configuration" in done:
        lines.append(
            "configuration: the new control keys stay in place (trading HALTED); the previous configuration is restored by applying its commit"
        )
    # 5: verify
    if restored:
        try:
            results = actions.run_named_checks(connected, deployment_id, None, release=previous)
            bad = [r.name for r in results if not r.passed]
            lines.append(
                "after restoring: " + (f"checks failing: {', '.join(bad)}" if bad else f"{len(results)} checks pass")
            )
        except Exception as error:  # noqa: BLE001
            lines.append(f"after restoring: checks could not run ({_first(error)})")
    left = "HALTED, awaiting an operator (qm resume after checks)" if halt else "paused (qm apply again)"
    lines.append(
        f"state left: {'rolled back to ' + previous.metadata.name + ' services, ' if restored and previous else ''}trading {left}"
    )
    # 6: record
    record_incident(
        connected.store,
        connected.name,
        "deployment_failed",
        f"deployment {deployment_id} failed at {failed_step}",
        detail="\n".join(lines),
        deployment_id=deployment_id,
        recorded_by=ACTOR,
        now=now,
    )
    finish_deployment(
        connected.store,
        deployment_id,
        "rolled_back" if restored else "failed",
        summary=lines[-1],
        rollback_used=restored,
        now=now,
    )
    return DeployFailed([Problem(f"deployment {deployment_id}", message=line) for line in lines])


def _migration_decision(
    connected: Connected, previous_revision: str | None, scripts: Path | None, rollback_of: str | None
) -> str:
    """Reverse only when the release declares it reversible and its rollback plan says so.
    A failed rollback leaves the schema where its own migration step put it: going forward
    again is a new apply's decision, never a failure handler's."""
    database, rollback = connected.release.spec.database, connected.release.spec.rollback
    if rollback_of is not None:
        return f"migrations: this rollback moved the schema to {database.revision}; it stays there (going back to {rollback_of}'s schema is a new apply); trading stays HALTED"
    if previous_revision is None:
        return "migrations: no previous release to return to: the schema stays; trading stays HALTED"
    if not (database.reversible and rollback.migrations_reversible):
        return "migrations: NOT reversed (the release does not declare them reversible): the schema stays; trading stays HALTED"
    assert connected.store is not None
    if scripts is None:
        return "migrations: the applied tree's migrations/ is not at hand: the schema stays; trading stays HALTED"
    try:
        after = downgrade_schema(connected.store, scripts, previous_revision)
    except Exception as error:  # noqa: BLE001
        return f"migrations: reversal to {previous_revision} failed ({_first(error)}): the schema stays; trading stays HALTED"
    return f"migrations: reversed to {after} (declared reversible, rollback plan agrees)"


def _first(error: BaseException) -> str:
    problems = getattr(error, "problems", None)
    if problems:
        return str(problems[0].message)
    return type(error).__name__
