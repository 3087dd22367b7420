"""What each kind of step does to the running system. Each action checks first, so that it is
idempotent: running it again after a crash changes nothing that is already as wanted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from quantmatrix.errors import Problem, QMError
from quantmatrix.model.release import Release
from quantmatrix.model.runtime import Component
from quantmatrix.reconcile.connect import Connected
from quantmatrix.reconcile.observe import operator_halt
from quantmatrix.reconcile.steps import ACTOR, Step
from quantmatrix.runtime.checks import CheckResult, Target, run_checks, settings_for, triggered
from quantmatrix.runtime.control import ControlPlane, control_from_environment
from quantmatrix.runtime.controlstate import ControlConflict, ControlUnavailable, TradingState
from quantmatrix.runtime.store.deployments import record_config_applied
from quantmatrix.runtime.store.events import record_check_results
from quantmatrix.runtime.store.trading_schema import downgrade_schema, known_revisions, schema_revision, upgrade_schema

RECONCILIATION = ("safety.reconciliation",)


class StepFailed(QMError):
    """A step did not reach what it should; the apply's failure handling takes over."""


def _control(connected: Connected) -> ControlPlane:
    if connected.control is None:
        raise StepFailed(Problem(subject="state store", message="no control plane: the state store is not open"))
    return connected.control


def set_trading(connected: Connected, target: TradingState, reason: str, now: datetime) -> str:
    """Move trading to `target`; an unknown state is replaced by the desired control state at `target`."""
    control = _control(connected)
    try:
        current = control.read()
    except ControlUnavailable:
        state = control_from_environment(
            connected.environment, trading=target, reason=reason, changed_by=ACTOR, now=now
        )
        control.write(state)
        return f"control state written (was unknown): trading {target.value}"
    if current.trading is target:
        return f"trading already {target.value}"
    control.set_trading(target, reason, ACTOR)
    return f"trading {current.trading.value} → {target.value}"


def pause(connected: Connected, step: Step, deployment_id: str, now: datetime) -> str:
    if not step.changes:
        return "trading already paused (nothing to loosen)"
    target = TradingState(step.changes[0].after)
    return set_trading(connected, target, f"deployment {deployment_id} in progress", now)


def configure(connected: Connected, deployment_id: str, commit: str | None, now: datetime) -> str:
    """Write every control key from the desired environment, keeping the current trading state.
    Compare-and-set: a `qm halt` landing between the read and the write (it needs no lock) is
    never overwritten; the write is retried on the new state."""
    control = _control(connected)
    saved = None
    for _ in range(20):
        try:
            current = control.read()
            trading, reason, by, expected = current.trading, current.reason, current.changed_by, current.version
        except ControlUnavailable:
            trading, reason, by, expected = (
                TradingState.HALTED,
                f"deployment {deployment_id}: configuration written, not validated yet",
                ACTOR,
                None,
            )
        state = control_from_environment(connected.environment, trading=trading, reason=reason, changed_by=by, now=now)
        try:
            saved = control.write(state, expected)
            break
        except ControlConflict:
            continue
    if saved is None:
        raise StepFailed(
            Problem(
                subject="control",
                message="the control state kept changing while the configuration was written: not applied",
            )
        )
    assert connected.store is not None
    record_config_applied(
        connected.store,
        connected.name,
        connected.config_version,
        connected.release.metadata.name,
        commit=commit,
        deployment_id=deployment_id,
        now=now,
    )
    return f"control keys at version {saved.version}, configuration {connected.config_version[:12]}"


def migrate(connected: Connected, scripts: Path, *, reverse: bool = False) -> str:
    """alembic to the release's revision with `scripts` (the applied tree's `migrations/`);
    "is it applied?" is asked first (alembic's version table), so a crash before or after
    the transaction commits never runs a revision twice. `reverse` (a rollback whose
    releases declare the migrations reversible, reconcile.rollback) downgrades when the
    schema is ahead; otherwise the schema only ever moves forward."""
    assert connected.store is not None
    revision = connected.release.spec.database.revision
    before = schema_revision(connected.store)
    if before == revision:
        return f"schema already at {revision}"
    chain = known_revisions(scripts) if reverse else []
    if before in chain and revision in chain and chain.index(before) > chain.index(revision):
        after = downgrade_schema(connected.store, scripts, revision)
        return f"schema {before} → {after} (reversed by alembic downgrade, verified)"
    after = upgrade_schema(connected.store, scripts, revision)
    return f"schema {before or 'base'} → {after} (verified)"


def deploy(connected: Connected, component: Component, version: str) -> str:
    connected.driver.deploy(component, version, connected.deploy_spec())
    seen = connected.driver.observe(component)
    if seen.version != version or seen.health != "healthy":
        raise StepFailed(
            Problem(
                subject=component,
                message=f"after deploying {version}: runs {seen.version or 'nothing'} ({seen.health}) {seen.message}".strip(),
            )
        )
    return f"{component} {version} healthy" + (f" at {seen.endpoint}" if seen.endpoint else "")


def target(connected: Connected, release: Release | None = None) -> Target:
    """Where the checks look, expecting `release`'s versions (default: the desired one)."""
    from quantmatrix.runtime.checks.probes import postgres_probe, redis_probe

    spec = connected.environment.spec
    api, ui = connected.driver.observe("api"), connected.driver.observe("ui")
    store = connected.store
    postgres = None
    if store is not None and store.dialect == "postgresql" and connected.store_secret is not None:
        postgres = postgres_probe(connected.store_secret.reveal())
    return Target(
        api_url=api.endpoint or spec.api.base_url,
        ui_url=ui.endpoint or spec.ui.url,
        redis=redis_probe(connected.redis_secret.reveal()) if connected.redis_secret is not None else None,
        postgres=postgres,
        expected_versions=(release or connected.release).spec.components.model_dump(),
    )


def run_named_checks(
    connected: Connected,
    deployment_id: str | None,
    only: tuple[str, ...] | None,
    skip: tuple[str, ...] = (),
    release: Release | None = None,
) -> list[CheckResult]:
    from quantmatrix.runtime.checks import CHECKS

    settings = settings_for(connected.environment)
    names = list(only) if only is not None else [name for name in CHECKS if name not in skip]
    results = run_checks(target(connected, release), connected.environment, settings, names=names)
    assert connected.store is not None
    record_check_results(connected.store, connected.name, results, deployment_id)
    return results


def verify(connected: Connected, deployment_id: str, only: tuple[str, ...] | None, skip: tuple[str, ...] = ()) -> str:
    results = run_named_checks(connected, deployment_id, only, skip)
    failed = [r for r in results if not r.passed]
    if failed:
        fired = triggered(results)  # guide §13: these call for a rollback
        trigger = [Problem(subject="§13 rollback trigger", message=", ".join(fired))] if fired else []
        raise StepFailed([Problem(r.name, message=r.message) for r in failed] + trigger)
    return f"{len(results)} checks passed"


def enable(connected: Connected, deployment_id: str, now: datetime) -> str:
    """ACTIVE — unless an operator halted meanwhile (read again now: a halt needs no lock)."""
    assert connected.store is not None
    halt = operator_halt(connected.store, connected.name)
    if halt is not None:
        return f"operator halt in force ({halt.reason}): trading stays HALTED"
    done = set_trading(connected, TradingState.ACTIVE, f"deployment {deployment_id} validated", now)
    # a halt records itself before it writes HALTED: read it again after our write, so that
    # one landing in between ends HALTED whichever order the two writes took
    halt = operator_halt(connected.store, connected.name)
    if halt is not None:
        set_trading(connected, TradingState.HALTED, f"operator halt: {halt.reason}", now)
        return f"operator halt arrived while enabling ({halt.reason}): trading HALTED"
    return done
