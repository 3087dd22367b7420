"""`qm apply ENV`: run the plan, under the lock, journaled, in the guide's order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo, style

if TYPE_CHECKING:
    from quantmatrix.reconcile.steps import Plan


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
    from quantmatrix.usecases.deploy import apply_environment

    def confirm_for(live: bool) -> Callable[[Plan], bool]:
        from quantmatrix.cli.confirm import plan_confirmation  # the plan's models: only past the fast path

        return plan_confirmation(
            "qm apply",
            environment,
            live=live,
            yes=yes,
            question="Apply this plan?",
            live_prompt=f"Type the environment name ({environment}) to apply to LIVE",
        )

    deployed = apply_environment(
        path,
        environment,
        ref,
        confirm_for,
        operator=operator,
        engineer=engineer,
        break_glass=break_glass,
        force_forward=force_forward,
    )
    if deployed is None or deployed.result.noop:
        echo(f"{environment}: in sync, nothing to change")
        return
    result = deployed.result
    for line in result.lines:
        echo(f"  {line}")
    echo(
        style(
            f"{'resumed and ' if result.resumed else ''}applied {result.plan.release} to {environment}: deployment {result.deployment_id} succeeded",
            "green",
        )
    )
