"""`qm rollback ENV`: the apply path aimed at an earlier release (guide §13)."""

from __future__ import annotations

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo, style


@click.command()
@click.argument("environment")
@path_argument
@ref_option
@click.option(
    "--to",
    "to",
    default=None,
    metavar="RELEASE",
    help="Release to return to (default: the running release's rollback.previous).",
)
@click.option("--reason", default=None, help="Why; recorded with the deployment.")
@click.option("--yes", is_flag=True, help="Do not ask (live still needs typing the environment name).")
@click.option("--operator", default=None, help="Operator on duty (default: staffing.operator).")
@click.option("--engineer", default=None, help="Engineer on standby (default: staffing.engineer_on_standby).")
@click.option(
    "--break-glass",
    "break_glass",
    default=None,
    metavar="REASON",
    help="Roll back outside the deploy window; recorded as an incident.",
)
def rollback(
    environment: str,
    path: str,
    ref: str | None,
    to: str | None,
    reason: str | None,
    yes: bool,
    operator: str | None,
    engineer: str | None,
    break_glass: str | None,
) -> None:
    """Return ENVIRONMENT to an earlier release, through the same lock, gates, pause, checks
    and record as `qm apply` (recorded with rollback_used). Migrations in between are reversed
    (alembic downgrade, journaled) when the release left and those that introduced them
    declare them reversible; otherwise refused, nothing changed. Git still pins the newer release
    afterwards: `qm status` shows the drift and `qm apply` refuses until the pin changes (or
    --force-forward). Exit 0 done, 1 refused, 2 invalid input, 3 unavailable or locked, 4 failed."""
    from quantmatrix.cli.confirm import plan_confirmation
    from quantmatrix.usecases.deploy import rollback_environment

    deployed = rollback_environment(
        path,
        environment,
        ref,
        lambda live: plan_confirmation(
            "qm rollback",
            environment,
            live=live,
            yes=yes,
            question="Roll back to {release}?",
            live_prompt=f"Type the environment name ({environment}) to roll back LIVE to {{release}}",
        ),
        to=to,
        reason=reason,
        operator=operator,
        engineer=engineer,
        break_glass=break_glass,
    )
    result, state = deployed.result, deployed.state
    if result.noop:
        echo(f"{environment}: already at {result.plan.release}, nothing to change")
        return
    for line in result.lines:
        echo(f"  {line}")
    echo(
        style(
            f"rolled back {environment} to {result.plan.release}: deployment {result.deployment_id} succeeded", "green"
        )
    )
    pinned = state.environments[environment].spec.release
    if pinned != result.plan.release:
        echo(
            f"note: git still pins {pinned}: {environment} is out of sync until the pin changes (qm apply refuses until then, or --force-forward)"
        )
