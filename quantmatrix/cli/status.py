"""`qm status ENV`: desired vs running."""

from __future__ import annotations

import json

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo


@click.command()
@click.argument("environment")
@path_argument
@ref_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status(environment: str, path: str, ref: str | None, fmt: str) -> None:
    """Desired vs running for ENVIRONMENT: release, configuration, components, trading, drift,
    the last deployment and the monitoring window. Exit 0, 2 invalid input, 3 unavailable."""
    from quantmatrix.reconcile.apply import desired_of
    from quantmatrix.reconcile.connect import connect
    from quantmatrix.reconcile.render import status_text
    from quantmatrix.reconcile.status import environment_status
    from quantmatrix.repo.loader import load_source
    from quantmatrix.repo.source import open_source

    source = open_source(path, ref)
    state = load_source(source)
    connected = connect(state, environment, path, create=False)
    try:
        doc = environment_status(desired_of(state, connected, None, source), connected)
    finally:
        connected.close()
    echo(json.dumps(doc, indent=2) if fmt == "json" else status_text(doc), nl=fmt != "text")
