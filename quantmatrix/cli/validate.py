"""`qm validate`: is the desired state well-formed and consistent?"""

from __future__ import annotations

import json

import click

from quantmatrix.cli.edge import report_problems
from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo, style
from quantmatrix.errors import ConfigError, ExitCode
from quantmatrix.render.inert import inert_strings


@click.command()
@path_argument
@ref_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(path: str, ref: str | None, fmt: str) -> None:
    """Validate every environment, release and the secret catalog under PATH.

    Exit 0 when valid, 2 with one line per problem (file:line:col: field: message) when not.
    """
    from quantmatrix.repo.loader import load_reported
    from quantmatrix.repo.source import open_source

    try:
        state = load_reported(open_source(path, ref), ref)
    except ConfigError as error:
        if fmt == "json":
            problems = [
                p.as_dict() for p in error.problems
            ]
            echo(json.dumps(inert_strings({"valid": False, "problems": problems}), indent=2))
        else:
            report_problems(error)
        raise click.exceptions.Exit(int(ExitCode.INVALID))
    names = sorted(state.environments)
    releases = sorted(state.releases)
    secrets = len(state.catalog.spec.secrets) if state.catalog else 0
    if fmt == "json":
        summary = {"valid": True, "source": state.source, "environments": names, "releases": releases, "secrets": secrets}
        echo(json.dumps(summary, indent=2))
    else:
        listed = f" ({', '.join(names)})" if len(names) <= 10 else ""  # a fleet would fill the screen
        echo(
            f"{style('valid', 'green')}: {len(names)} environments{listed}, "
            f"{len(releases)} releases, {secrets} secrets in {state.source}"
        )
