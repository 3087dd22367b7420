"""`qm plan ENV`: observe the running system and print the ordered steps an apply would run."""

from __future__ import annotations

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo
from quantmatrix.errors import ExitCode


@click.command()
@click.argument("environment")
@path_argument
@ref_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when nothing changes, 5 when something does.")
def plan(environment: str, path: str, ref: str | None, fmt: str, detailed_exitcode: bool) -> None:
    """Print what `qm apply ENVIRONMENT` would do, step by step, in the guide's order.

    Exit 0 (with --detailed-exitcode: 0 nothing changes, 5 changes), 2 invalid input,
    3 a service (state store, Redis) is unavailable."""
    from quantmatrix.reconcile.render import PLAN_FORMATS
    from quantmatrix.usecases.deploy import plan_environment

    the_plan = plan_environment(path, environment, ref)
    echo(PLAN_FORMATS[fmt](the_plan), nl=False)
    if detailed_exitcode and not the_plan.in_sync:
        raise click.exceptions.Exit(int(ExitCode.CHANGES))
