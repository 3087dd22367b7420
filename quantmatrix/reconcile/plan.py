"""`plan(desired, observed) -> Plan`: a pure function, touching nothing (Terraform's plan,
Argo CD's diff). The steps follow the guide's §11 order; each says what it changes.

Rules, each a line below:
- in sync (versions, health, configuration, schema, trading as desired, nothing interrupted)
  → no steps at all: the apply is a no-op;
- anything else → readiness first; trading paused (the mode's policy) before the first thing
  changes; configuration, migrations, api, workers, ui as they differ; then the checks,
  reconciliation, trading enabled (never over an operator halt) and the monitoring window;
- a database ahead of the release's revision, or at one migrations/ does not know, blocks
  the plan; only a rollback that reconcile.rollback allowed (`Desired.reverse`) plans a
  downgrade, as the same `migrations` step;
- an unknown trading state is not trading: it is rewritten and re-validated, never trusted;
- an interrupted deployment is resumed: trading stays paused until the checks pass again,
  unless its journal shows it had already validated and enabled trading.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantmatrix.model.common import Mode
from quantmatrix.model.environment import Environment
from quantmatrix.model.release import Release
from quantmatrix.model.runtime import COMPONENTS, Component
from quantmatrix.reconcile.observed import Observed
from quantmatrix.reconcile.steps import Change, Plan, Step
from quantmatrix.runtime.controlstate import TradingState

# Trading while a deployment changes the system (§11: stop taking new risk before the first
# service changes). Live stops outright; the others may still reduce positions.
PAUSE: dict[Mode, TradingState] = {
    Mode.live: TradingState.HALTED,
    Mode.paper: TradingState.REDUCING,
    Mode.local: TradingState.REDUCING,
    Mode.backtest: TradingState.HALTED,
}
_STRICTNESS = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@dataclass(frozen=True)
class Desired:
    """The desired side: the effective environment, its release, and what they imply."""

    environment: Environment
    release: Release
    config_version: str  # content hash of the effective environment (runtime.control.config_version)
    revisions: tuple[str, ...] = ()  # the migrations chain, oldest first (empty: not known)
    commit: str | None = None
    reverse: bool = False  # a rollback allowed to reverse migrations (reconcile.rollback decided)

    @property
    def name(self) -> str:
        return self.environment.metadata.name


def pause_state(mode: Mode, current: TradingState | None) -> TradingState:
    """The mode's pause state, or the current one if that is already stricter (never loosened)."""
    wanted = PAUSE[mode]
    if current is not None and _STRICTNESS[current] > _STRICTNESS[wanted]:
        return current
    return wanted


def _running(observed: Observed, component: Component) -> str | None:
    seen = observed.component(component)
    if seen.version is None:
        return None
    return seen.version if seen.health == "healthy" else f"{seen.version} ({seen.health})"


def drift(desired: Desired, observed: Observed) -> tuple[Change, ...]:
    """Everything that differs between desired and running, in the guide's order."""
    found: list[Change] = []
    wanted_trading = TradingState.HALTED if observed.operator_halt else TradingState.ACTIVE
    if observed.config_version != desired.config_version or observed.trading.config_version != desired.config_version:
        applied = (
            observed.config_version
            if observed.config_version == observed.trading.config_version
            else observed.trading.config_version
        )
        found.append(Change(subject="configuration", before=applied, after=desired.config_version))
    revision = desired.release.spec.database.revision
    if observed.migration_revision != revision:
        found.append(Change(subject="migrations", before=observed.migration_revision, after=revision))
    components = desired.release.spec.components
    for component in COMPONENTS:
        want = getattr(components, component)
        running = observed.component(component)
        if running.version != want or running.health != "healthy":
            found.append(Change(subject=f"component.{component}", before=_running(observed, component), after=want))
    if observed.trading.state is not wanted_trading:
        before = observed.trading.state.value if observed.trading.state else "unknown (not trading)"
        found.append(Change(subject="trading", before=before, after=wanted_trading.value))
    return tuple(found)


def _migration_blocker(desired: Desired, observed: Observed) -> str | None:
    revision, seen = desired.release.spec.database.revision, observed.migration_revision
    if seen is None or seen == revision or not desired.revisions:
        return None
    if seen not in desired.revisions:
        return f"the database is at revision {seen}, which migrations/ does not know: inspect it before applying"
    if (
        revision in desired.revisions
        and desired.revisions.index(seen) > desired.revisions.index(revision)
        and not desired.reverse
    ):
        return f"the database is at {seen}, ahead of release {desired.release.metadata.name}'s {revision}: a downgrade is a rollback decision (qm rollback), never an apply's"
    return None


def plan(desired: Desired, observed: Observed) -> Plan:
    """The ordered steps that bring `observed` to `desired`; no steps when in sync."""
    spec, release = desired.environment.spec, desired.release
    found = drift(desired, observed)
    subjects = {change.subject: change for change in found}
    halt = observed.operator_halt
    resumed = observed.interrupted
    already_enabled = resumed is not None and "enable_trading" in observed.finished_steps
    base = Plan(
        environment=desired.name,
        mode=spec.mode,
        release=release.metadata.name,
        previous_release=observed.running_release,
        config_version=desired.config_version,
        commit=desired.commit,
        drift=found,
        resume_of=resumed.id if resumed else None,
        operator_halt=halt.reason if halt else None,
    )
    if not found and resumed is None:
        return base  # in sync: a no-op
    blocker = _migration_blocker(desired, observed)
    if not found and already_enabled:
        # the interrupted apply had validated and enabled trading: only its record is left to close
        return base.model_copy(update={"steps": (_monitoring(desired),)})

    steps: list[Step] = [_readiness(desired)]
    current = observed.trading.state
    target = TradingState.HALTED if halt else pause_state(spec.mode, current)
    moves = target if current is None else (target if _STRICTNESS[target] > _STRICTNESS[current] else None)
    why = (
        "operator halt in force: kept HALTED"
        if halt
        else f"{spec.mode.value}: {target.value} before the first service changes (§11)"
    )
    if resumed is not None:
        why += f"; resuming {resumed.id}: stays paused until the checks pass"
    steps.append(
        Step(
            id="pause_trading",
            kind="pause_trading",
            title=f"Pause trading ({target.value})",
            changes=(
                Change(
                    subject="trading", before=current.value if current else "unknown (not trading)", after=target.value
                ),
            )
            if moves
            else (),
            detail=why,
        )
    )
    if "configuration" in subjects:
        limits = ", ".join(f"{k}={v}" for k, v in spec.risk.model_dump(exclude={"currency"}).items())
        steps.append(
            Step(
                id="configuration",
                kind="configuration",
                title="Apply configuration (control keys, configuration version)",
                changes=(subjects["configuration"],),
                detail=f"mode {spec.mode.value}; risk {limits}; {len(spec.blocked_symbols)} blocked symbols; "
                f"{sum(1 for s in spec.strategies if s.enabled)} enabled strategies",
            )
        )
    if "migrations" in subjects:
        steps.append(_migrations(desired, subjects["migrations"]))
    for component in COMPONENTS:
        change = subjects.get(f"component.{component}")
        if change is not None:
            steps.append(
                Step(
                    id=f"deploy.{component}",
                    kind="deploy",
                    title=f"Deploy {component} {change.after}",
                    changes=(change,),
                    detail=f"through the {spec.runtime.driver} driver; verified for version and health before the next",
                )
            )
    steps.append(Step(id="checks", kind="checks", title="Health, smoke and trading-safety checks (§12)"))
    steps.append(Step(id="reconciliation", kind="reconciliation", title="Reconcile positions and orders"))
    if halt is None:
        steps.append(
            Step(
                id="enable_trading",
                kind="enable_trading",
                title="Enable trading (ACTIVE)",
                changes=(Change(subject="trading", before=target.value, after=TradingState.ACTIVE.value),),
                detail="only after health, smoke, safety and reconciliation checks pass",
            )
        )
    steps.append(_monitoring(desired))
    return base.model_copy(update={"steps": tuple(steps), "blockers": (blocker,) if blocker else ()})


def reversed_revisions(desired: Desired, before: str | None) -> tuple[str, ...]:
    """The revisions a rollback's downgrade undoes, newest first (none: it moves forward)."""
    chain, wanted = desired.revisions, desired.release.spec.database.revision
    if not desired.reverse or before not in chain or wanted not in chain:
        return ()
    return tuple(reversed(chain[chain.index(wanted) + 1 : chain.index(before) + 1]))


def _migrations(desired: Desired, change: Change) -> Step:
    database = desired.release.spec.database
    undone = reversed_revisions(desired, change.before)
    if undone:
        return Step(
            id="migrations",
            kind="migrations",
            title=f"Reverse migrations {', '.join(undone)} (database back to {database.revision})",
            changes=(change,),
            detail="alembic downgrade, verified after; declared reversible by the releases that introduced them and the rollback plan",
        )
    return Step(
        id="migrations",
        kind="migrations",
        title=f"Migrate the database to {database.revision}",
        changes=(change,),
        detail=f"alembic upgrade, verified after; reversible: {database.reversible}, backward compatible: {database.backward_compatible}",
    )


def _readiness(desired: Desired) -> Step:
    spec = desired.environment.spec
    checks = [
        "policy gate on " + (f"commit {desired.commit[:12]}" if desired.commit else "the work tree"),
        "deploy window",
    ]
    if spec.mode is Mode.live:
        checks += [
            "live preconditions (approvals, operator and engineer on standby)",
            "a successful paper deployment of this release in the store",
        ]
    return Step(id="readiness", kind="readiness", title="Confirm release readiness", detail="; ".join(checks))


def _monitoring(desired: Desired) -> Step:
    monitoring = desired.environment.spec.monitoring
    return Step(
        id="monitoring",
        kind="monitoring",
        title=f"Record the monitoring window ({monitoring.intensity}, {monitoring.window_hours} h)",
        detail="guide §14: watch broker disconnects, rejected orders, position mismatches, stale prices, risk violations",
    )
