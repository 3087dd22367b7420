"""`apply`: under the environment's apply lock, observe, plan, and walk the plan's steps,
each journaled write-ahead in the store; resume an interrupted deployment; hand a failure to
`recovery`. Library entry point of `qm apply` (the CLI only confirms and renders).

    observe → plan → readiness → deployment record → steps (journaled) → record

An in-sync environment is a no-op: a check result `reconcile.no_op` is recorded, not a
deployment. A `kill -9` anywhere leaves the deployment `running` with its in-flight step
`started`; the next apply resumes that same deployment (trading stays paused until checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from quantmatrix.errors import Problem, QMError, Refused
from quantmatrix.reconcile.connect import Connected, connect
from quantmatrix.reconcile.lock import acquire_apply_lock, this_process
from quantmatrix.reconcile.noop import NoOpCheck
from quantmatrix.reconcile.observe import observe_environment
from quantmatrix.reconcile.plan import Desired, plan, reversed_revisions
from quantmatrix.reconcile.steps import ACTOR, Plan, Step
from quantmatrix.repo.source import Source
from quantmatrix.runtime.store.deployments import finish_deployment, start_deployment
from quantmatrix.runtime.store.events import append_audit, record_check_results, record_incident
from quantmatrix.state import DesiredState

if TYPE_CHECKING:
    from quantmatrix.model.release import Release
    from quantmatrix.reconcile.record import MonitoringWindow

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class StopRequested(QMError):
    """Shutdown asked between two steps (SIGTERM in `qm reconcile`): the deployment stays
    `running` with every finished step journaled, and the next apply resumes it."""


@dataclass
class ApplyResult:
    plan: Plan
    deployment_id: str | None = None  # None: a no-op
    resumed: bool = False
    lines: list[str] = field(default_factory=list)  # one per step: what it did

    @property
    def noop(self) -> bool:
        return self.deployment_id is None


def commit_of(path: str | Path, ref: str | None) -> str | None:
    """The commit being planned or applied: --ref's, else HEAD's when PATH is a git work tree."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--verify", "--quiet", f"{ref or 'HEAD'}^{{commit}}"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def desired_of(
    state: DesiredState,
    connected: Connected,
    commit: str | None,
    source: Source | None = None,
    *,
    reverse: bool = False,
) -> Desired:
    """The desired side; the migration chain is read statically from `source` (the tree being
    applied). `reverse`: a rollback that reconcile.rollback allowed to reverse migrations."""
    from quantmatrix.repo.migrations import read_chain
    from quantmatrix.repo.source import open_source

    chain = read_chain(source if source is not None else open_source(connected.root))
    revisions = tuple(r.revision for r in chain[0]) if chain is not None else ()
    return Desired(connected.environment, connected.release, connected.config_version, revisions, commit, reverse)


def compute_plan(
    state: DesiredState, connected: Connected, commit: str | None = None, source: Source | None = None
) -> Plan:
    """Observe and plan (what `qm plan` prints and `apply` runs)."""
    return plan(desired_of(state, connected, commit, source), observe_environment(connected))


def apply(
    state: DesiredState,
    source: Source,
    name: str,
    root: str | Path,
    *,
    commit: str | None = None,
    operator: str | None = None,
    engineer: str | None = None,
    break_glass: str | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    clock: Clock = utc_now,
    connected: Connected | None = None,
    stop_requested: Callable[[], bool] | None = None,
    target_release: str | None = None,
    rollback: bool = False,
    rollback_reason: str | None = None,
    force_forward: bool = False,
) -> ApplyResult:
    """Apply environment `name`; `confirm(plan)` is asked before anything changes (None: yes).
    A caller that keeps the environment open (the reconcile loop) passes `connected` (left
    open) and `stop_requested`, asked between steps: a step is finished or not started.

    `rollback`: return to `target_release` (None: the running release's rollback.previous)
    instead of the pinned one (reconcile.rollback). Without it, an apply refuses while a
    rollback is in effect and git still pins the release rolled back from (`force_forward`)."""
    owned = connected is None
    if connected is None:
        connected = connect(state, name, root)
    try:
        with acquire_apply_lock(
            connected.lock_target, name, this_process("rollback" if rollback else "apply", clock())
        ) as lock:

            def between_steps() -> None:
                lock.verify()
                if stop_requested is not None and stop_requested():
                    raise StopRequested(
                        Problem(name, message="shutting down between two steps: the next apply resumes this deployment")
                    )

            rollback_of = None
            if rollback:
                rollback_of, target = _aim(state, connected, source, commit, target_release)
                connected = replace(connected, release=target)  # a copy: a caller's connection keeps its release
            if not rollback and not force_forward:
                _refuse_forward_over_rollback(connected)
            desired = desired_of(state, connected, commit, source, reverse=rollback)
            observed = observe_environment(connected)
            the_plan = plan(desired, observed)
            if the_plan.blockers:
                raise Refused([Problem(f"environments/{name}.yaml", message=b) for b in the_plan.blockers])
            assert connected.store is not None
            if the_plan.in_sync:
                record_check_results(connected.store, name, [NoOpCheck()], now=clock())
                return ApplyResult(the_plan, lines=["in sync: nothing to change (a no-op check recorded)"])
            from quantmatrix.reconcile.readiness import (
                check_readiness,  # not on the no-op path: it loads the policy engine
            )

            # readiness first: an apply that would be refused (gate, window, live evidence)
            # refuses before the operator is asked to confirm it
            readiness = check_readiness(
                state,
                source,
                connected.environment,
                connected.release,
                connected.store,
                now=clock(),
                operator=operator,
                engineer=engineer,
                break_glass=break_glass,
                root=root,
            )
            if confirm is not None and not confirm(the_plan):
                raise Refused(Problem(subject="qm apply", message="not confirmed: nothing was changed"))
            with _scripts_for(the_plan, source) as scripts:
                return _run(
                    state,
                    connected,
                    the_plan,
                    readiness.notes,
                    readiness.break_glass,
                    readiness.operator,
                    readiness.engineer,
                    commit,
                    clock,
                    between_steps,
                    rollback_of=rollback_of,
                    reason=rollback_reason,
                    scripts=scripts,
                    reversing=reversed_revisions(desired, observed.migration_revision),
                )
    finally:
        if owned:
            connected.close()


@contextmanager
def _scripts_for(the_plan: Plan, source: Source) -> Iterator[Path | None]:
    """The applied tree's `migrations/` in a private directory, when the plan migrates: read
    before the deployment starts, so a script that breaks the symlink rules refuses (exit 2)
    before anything changes. With --ref that is the commit's, never the work tree's."""
    if the_plan.step("migrations") is None:
        yield None
        return
    from quantmatrix.repo.migration_scripts import migration_scripts

    with migration_scripts(source) as scripts:
        yield scripts


def _aim(
    state: DesiredState, connected: Connected, source: Source, commit: str | None, to: str | None
) -> tuple[str, Release]:
    """The release a rollback leaves and the one it returns to.
    Refused (nothing changed, trading as it is) when the schema forbids it."""
    from quantmatrix.reconcile.rollback import migration_refusal, rollback_target

    observed = observe_environment(connected)
    resuming = observed.interrupted.rollback_of if observed.interrupted is not None else None
    leaving = resuming or observed.running_release  # resuming a rollback: the release it was leaving
    target = rollback_target(state, connected.name, connected.release, leaving, to)
    if observed.interrupted is not None and observed.interrupted.release != target.metadata.name:
        raise Refused(
            Problem(
                f"qm rollback {connected.name}",
                message=f"deployment {observed.interrupted.id} of {observed.interrupted.release} was interrupted: "
                f"finish it first ({'qm rollback --to ' + observed.interrupted.release if observed.interrupted.rollback_of else 'qm apply'})",
            )
        )
    chain = desired_of(state, connected, commit, source).revisions
    refusal = migration_refusal(state, leaving, target, observed.migration_revision, chain)
    if refusal is not None:
        raise Refused(Problem(f"qm rollback {connected.name}", message=refusal))
    return leaving or connected.environment.spec.release, target


def _refuse_forward_over_rollback(connected: Connected) -> None:
    """After `qm rollback`, git still pins the newer release: an apply must not silently
    re-deploy it. It proceeds once the pin changes in git, or with --force-forward."""
    from quantmatrix.runtime.store.deployments import last_deployment

    if connected.store is None:
        return
    pinned = connected.release.metadata.name
    interrupted = last_deployment(connected.store, connected.name)
    if (
        interrupted is not None
        and interrupted.status == "running"
        and interrupted.rollback_of is not None
        and interrupted.release != pinned
    ):
        raise Refused(
            Problem(
                f"environments/{connected.name}.yaml",
                message=f"rollback {interrupted.id} to {interrupted.release} was interrupted: finish it with qm rollback {connected.name} --to {interrupted.release}",
            )
        )
    last = last_deployment(connected.store, connected.name, "succeeded")
    if last is not None and last.rollback_of == pinned and last.release != pinned:
        raise Refused(
            Problem(
                f"environments/{connected.name}.yaml",
                message=f"rolled back to {last.release} ({last.id}); git still pins {pinned}, the release rolled back from: "
                "change the pin in git, or pass --force-forward to re-deploy it",
            )
        )


def _start(
    state: DesiredState,
    connected: Connected,
    the_plan: Plan,
    break_glass: str | None,
    operator: str | None,
    engineer: str | None,
    commit: str | None,
    now: datetime,
    rollback_of: str | None = None,
    reason: str | None = None,
    reversing: tuple[str, ...] = (),
) -> tuple[str, bool]:
    assert connected.store is not None
    if the_plan.resume_of is not None:
        append_audit(
            connected.store,
            ACTOR,
            "apply.resume",
            environment=connected.name,
            detail={"deployment": the_plan.resume_of},
            now=now,
        )
        return the_plan.resume_of, True
    from quantmatrix.reconcile.changes import recorded_changes  # loads the previous commit: not on the no-op path

    recorded = recorded_changes(state, connected.store, connected.name, connected.root, connected.release)
    migration_changes = recorded.changes.migrations
    if reversing:  # a rollback's record says what it undoes, not what the target once introduced
        back_to = connected.release.spec.database.revision
        migration_changes = tuple(f"{revision} reversed (alembic downgrade to {back_to})" for revision in reversing)
    deployment_id = start_deployment(
        connected.store,
        connected.name,
        the_plan.release,
        previous_release=the_plan.previous_release,
        operator=operator,
        engineer=engineer,
        commit=commit,
        config_version=the_plan.config_version,
        config_changes=recorded.changes.config,
        migration_changes=migration_changes,
        strategy_changes=recorded.changes.strategies,
        changes_basis=recorded.basis,
        break_glass_reason=break_glass,
        mode=connected.environment.spec.mode,
        rollback_of=rollback_of,
        now=now,
    )
    detail = {"deployment": deployment_id, "release": the_plan.release}
    if rollback_of is not None:
        detail |= {"rollback_of": rollback_of, "reason": reason or ""}
        if reversing:
            detail |= {"reverses_migrations": ", ".join(reversing)}
    append_audit(
        connected.store,
        operator or ACTOR,
        "rollback.start" if rollback_of else "apply.start",
        environment=connected.name,
        detail=detail,
        now=now,
    )
    if break_glass:
        record_incident(
            connected.store,
            connected.name,
            "break_glass",
            f"apply outside the deploy window: {break_glass}",
            severity="warning",
            deployment_id=deployment_id,
            recorded_by=operator or ACTOR,
            now=now,
        )
    return deployment_id, False


def _run(
    state: DesiredState,
    connected: Connected,
    the_plan: Plan,
    notes: tuple[str, ...],
    break_glass: str | None,
    operator: str | None,
    engineer: str | None,
    commit: str | None,
    clock: Clock,
    still_locked: Callable[[], None],
    rollback_of: str | None = None,
    reason: str | None = None,
    scripts: Path | None = None,
    reversing: tuple[str, ...] = (),
) -> ApplyResult:
    from quantmatrix.reconcile.journal import Journal
    from quantmatrix.reconcile.record import monitoring_for  # the diff's modules load only when something changes
    from quantmatrix.reconcile.recovery import recover

    assert connected.store is not None
    deployment_id, resumed = _start(
        state, connected, the_plan, break_glass, operator, engineer, commit, clock(), rollback_of, reason, reversing
    )
    journal = Journal(connected.store, deployment_id, clock)
    result = ApplyResult(the_plan, deployment_id, resumed)
    if resumed:
        interrupted = journal.close_interrupted(f"pid {this_process('apply', clock()).pid}")
        result.lines.append(
            f"resuming {deployment_id}" + (f" (interrupted in {', '.join(interrupted)})" if interrupted else "")
        )
    done: list[str] = []
    monitoring: MonitoringWindow | None = None
    for step in the_plan.steps:
        still_locked()
        try:
            detail = journal.run(
                step.id, _action(connected, step, deployment_id, commit, notes, clock, scripts, rollback_of is not None)
            )
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            reason = (
                "; ".join(str(p) for p in error.problems)
                if isinstance(error, QMError)
                else f"{type(error).__name__}: {error}"
            )
            raise recover(
                state, connected, the_plan, deployment_id, step.id, reason, done, clock(), scripts, rollback_of
            ) from None
        done.append(step.id)
        result.lines.append(f"{step.id}: {detail}")
        if step.kind == "monitoring":
            monitoring = monitoring_for(connected.environment, clock())
    summary = ("resumed and " if resumed else "") + f"applied {the_plan.release}: {len(done)} steps"
    if rollback_of is not None:
        summary = (
            f"rolled back {rollback_of} → {the_plan.release}: {len(done)} steps"
            + (f"; migrations reversed: {', '.join(reversing)}" if reversing and "migrations" in done else "")
            + (f"; reason: {reason}" if reason else "")
        )
    finish_deployment(
        connected.store,
        deployment_id,
        "succeeded",
        summary=summary,
        monitoring_until=monitoring.ends_at if monitoring else None,
        monitoring_intensity=monitoring.intensity if monitoring else None,
        monitoring_basis=monitoring.basis if monitoring else None,
        now=clock(),
    )
    return result


def _action(
    connected: Connected,
    step: Step,
    deployment_id: str,
    commit: str | None,
    notes: tuple[str, ...],
    clock: Clock,
    scripts: Path | None = None,
    rollback: bool = False,
) -> Callable[[], str]:
    from quantmatrix.reconcile import actions  # the checks (httpx) and alembic load only when something changes

    kind = step.kind
    if kind == "readiness":
        return lambda: "; ".join(notes)
    if kind == "pause_trading":
        return lambda: actions.pause(connected, step, deployment_id, clock())
    if kind == "configuration":
        return lambda: actions.configure(connected, deployment_id, commit, clock())
    if kind == "migrations":
        assert scripts is not None, "apply materialises migrations/ whenever the plan migrates"
        return lambda: actions.migrate(connected, scripts, reverse=rollback)
    if kind == "deploy":
        component = step.id.split(".", 1)[1]
        version = step.changes[0].after
        return lambda: actions.deploy(connected, component, version)  # type: ignore[arg-type]
    if kind == "checks":
        return lambda: actions.verify(connected, deployment_id, None, skip=actions.RECONCILIATION)
    if kind == "reconciliation":
        return lambda: actions.verify(connected, deployment_id, actions.RECONCILIATION)
    if kind == "enable_trading":
        return lambda: actions.enable(connected, deployment_id, clock())
    if kind == "monitoring":
        from quantmatrix.reconcile.record import monitoring_for

        def window() -> str:
            planned = monitoring_for(connected.environment, clock())
            return f"monitoring window {planned.intensity} until {planned.ends_at:%Y-%m-%dT%H:%M:%SZ} ({planned.basis})"

        return window
    raise ValueError(f"no action for step kind {kind}")
