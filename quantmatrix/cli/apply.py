"""`qm apply ENV`: run the plan, under the lock, journaled, in the guide's order."""

from __future__ import annotations

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo, style


@click.command()
@click.argument("environment")
@path_argument
@ref_option
@click.option("--yes", is_flag=True, help="Do not ask; apply the plan shown.")
@click.option("--operator", default=None, help="Operator on duty (default: the environment's staffing.operator).")
@click.option("--engineer", default=None, help="Engineer on standby (default: staffing.engineer_on_standby).")
@click.option(
    "--break-glass",
    "break_glass",
    default=None,
    metavar="REASON",
    help="Apply outside the deploy window; recorded as an incident.",
)
@click.option(
    "--force-forward",
    "force_forward",
    is_flag=True,
    help="Re-deploy the pinned release although a qm rollback away from it is in effect.",
)
def apply(
    environment: str,
    path: str,
    ref: str | None,
    yes: bool,
    operator: str | None,
    engineer: str | None,
    break_glass: str | None,
    force_forward: bool,
) -> None:
    """Bring ENVIRONMENT's running system to its desired state.

    Without --yes the plan is shown and confirmed (no terminal: refused). Live also needs the
    operator and engineer on standby and a confirmation typing the environment's name.
    Exit 0 done (or in sync), 1 refused, 2 invalid input, 3 unavailable or another apply
    holds the lock, 4 the deployment failed (the message says what state it left)."""
    if ref is None:
        from quantmatrix.reconcile.noop import fast_noop

        if fast_noop(path, environment):  # in sync, the no-op check recorded, without the full path's imports
            echo(f"{environment}: in sync, nothing to change")
            return
    from quantmatrix.cli.confirm import plan_confirmation
    from quantmatrix.model.common import Mode
    from quantmatrix.reconcile.apply import apply as run_apply
    from quantmatrix.reconcile.apply import commit_of
    from quantmatrix.reconcile.noop import migrations_snapshot, remember
    from quantmatrix.usecases.load import load_state

    migrations = migrations_snapshot(path) if ref is None else None
    loaded = load_state(path, ref)
    state, source = loaded.state, loaded.source
    live = environment in state.environments and state.environments[environment].spec.mode is Mode.live

    confirm = plan_confirmation(
        "qm apply",
        environment,
        live=live,
        yes=yes,
        question="Apply this plan?",
        live_prompt=f"Type the environment name ({environment}) to apply to LIVE",
    )

    result = run_apply(
        state,
        source,
        environment,
        path,
        commit=commit_of(path, ref),
        operator=operator,
        engineer=engineer,
        break_glass=break_glass,
        confirm=confirm,
        force_forward=force_forward,
    )
    if ref is None:
        remember(state, environment, path, migrations)  # the next in-sync apply takes the fast path
    if result.noop:
        echo(f"{environment}: in sync, nothing to change")
        return
    for line in result.lines:
        echo(f"  {line}")
    echo(
        style(
            f"{'resumed and ' if result.resumed else ''}applied {result.plan.release} to {environment}: deployment {result.deployment_id} succeeded",
            "green",
        )
    )
