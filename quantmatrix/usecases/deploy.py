"""Plan, apply and roll back one environment: what `qm plan`, `qm apply` and `qm rollback` do,
as functions the CLI calls with its arguments and a way to confirm.

An apply without `--ref` first asks the in-sync fast path (`reconcile.noop`), which answers
"in sync" without loading the desired state or importing SQLAlchemy; anything else runs the
full path, which then remembers what the next fast answer may rely on. Imports are deferred
for the same reason: a no-op must not pay for the reconciler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quantmatrix.reconcile.apply import ApplyResult
    from quantmatrix.reconcile.steps import Plan
    from quantmatrix.state import DesiredState

# Given whether the environment is live, the `confirm(plan)` the apply asks before it changes
# anything (the CLI's prompt; None: confirmed).
ConfirmFor = Callable[[bool], Callable[["Plan"], bool] | None]


@dataclass(frozen=True)
class Deployed:
    """What the full apply path did (`result.noop`: in sync, the no-op check recorded), and
    the desired state it applied."""

    result: ApplyResult
    state: DesiredState


def is_live(state: DesiredState, environment: str) -> bool:
    from quantmatrix.model.common import Mode

    known = state.environments.get(environment)
    return known is not None and known.spec.mode is Mode.live


def plan_environment(path: str | Path, environment: str, ref: str | None = None) -> Plan:
    """Observe `environment`'s running system and compare it with the desired state at
    PATH/`ref`: the ordered steps an apply would run (changes nothing)."""
    from quantmatrix.reconcile.apply import commit_of, compute_plan
    from quantmatrix.reconcile.connect import connect
    from quantmatrix.usecases.load import load_state

    loaded = load_state(path, ref)
    connected = connect(loaded.state, environment, path, create=False)
    try:
        return compute_plan(loaded.state, connected, commit=commit_of(path, ref), source=loaded.source)
    finally:
        connected.close()


def apply_environment(
    path: str | Path,
    environment: str,
    ref: str | None,
    confirm_for: ConfirmFor,
    *,
    operator: str | None = None,
    engineer: str | None = None,
    break_glass: str | None = None,
    force_forward: bool = False,
) -> Deployed | None:
    """Bring `environment` to the desired state at PATH/`ref` (reconcile.apply: locked,
    journaled, gated, in the guide's order). None: the fast path found it in sync (nothing
    loaded, the no-op check recorded)."""
    from quantmatrix.reconcile.noop import fast_noop, migrations_snapshot, remember

    if ref is None and fast_noop(path, environment):
        return None
    migrations = migrations_snapshot(path) if ref is None else None
    deployed = _run(
        path,
        environment,
        ref,
        confirm_for,
        operator=operator,
        engineer=engineer,
        break_glass=break_glass,
        force_forward=force_forward,
    )
    if ref is None:
        remember(deployed.state, environment, path, migrations)  # the next in-sync apply takes the fast path
    return deployed


def rollback_environment(
    path: str | Path,
    environment: str,
    ref: str | None,
    confirm_for: ConfirmFor,
    *,
    to: str | None = None,
    reason: str | None = None,
    operator: str | None = None,
    engineer: str | None = None,
    break_glass: str | None = None,
) -> Deployed:
    """Return `environment` to `to` (None: the running release's rollback.previous) through
    the apply path (reconcile.rollback decides the target and whether the schema allows it)."""
    return _run(
        path,
        environment,
        ref,
        confirm_for,
        operator=operator,
        engineer=engineer,
        break_glass=break_glass,
        rollback=True,
        target_release=to,
        rollback_reason=reason,
    )


def _run(
    path: str | Path,
    environment: str,
    ref: str | None,
    confirm_for: ConfirmFor,
    *,
    operator: str | None,
    engineer: str | None,
    break_glass: str | None,
    force_forward: bool = False,
    rollback: bool = False,
    target_release: str | None = None,
    rollback_reason: str | None = None,
) -> Deployed:
    from quantmatrix.reconcile.apply import apply, commit_of
    from quantmatrix.usecases.load import load_state

    loaded = load_state(path, ref)
    result = apply(
        loaded.state,
        loaded.source,
        environment,
        path,
        commit=commit_of(path, ref),
        operator=operator,
        engineer=engineer,
        break_glass=break_glass,
        confirm=confirm_for(is_live(loaded.state, environment)),
        force_forward=force_forward,
        rollback=rollback,
        target_release=target_release,
        rollback_reason=rollback_reason,
    )
    return Deployed(result=result, state=loaded.state)
