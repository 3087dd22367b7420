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
    from quantmatrix.usecases.validate import validate as load_and_validate

    try:
        summary = load_and_validate(path, ref)
    except ConfigError as error:
        if fmt == "json":
            problems = [p.as_dict() for p in error.problems]
            echo(json.dumps(inert_strings({"valid": False, "problems": problems}), indent=2))
        else:
            report_problems(error)
        raise click.exceptions.Exit(int(ExitCode.INVALID)) from None
    names, releases, secrets = summary.environments, summary.releases, summary.secrets
    if fmt == "json":
        document = {
            "valid": True,
            "source": summary.source,
            "environments": list(names),
            "releases": list(releases),
            "secrets": secrets,
        }
        echo(json.dumps(document, indent=2))
    else:
        listed = f" ({', '.join(names)})" if len(names) <= 10 else ""  # a fleet would fill the screen
        echo(
            f"{style('valid', 'green')}: {len(names)} environments{listed}, "
            f"{len(releases)} releases, {secrets} secrets in {summary.source}"
        )
