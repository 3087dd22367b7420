"""`qm release new`: propose a release manifest from the previous one."""

from __future__ import annotations

import click

from quantmatrix.cli import completion
from quantmatrix.cli.options import path_argument
from quantmatrix.cli.output import echo, style


@click.group()
def release() -> None:
    """Propose releases (manifests in releases/)."""


@release.command("new")
@click.argument("version")
@path_argument
@click.option(
    "--from",
    "previous",
    metavar="PREV",
    shell_complete=completion.releases,
    help="Release to carry forward (default: the highest existing version).",
)
def new(version: str, path: str, previous: str | None) -> None:
    """Write releases/VERSION.yaml from PREV: versions carried forward, rollback.previous set,
    change lists emptied, checklist and validation left open for the policy gate.

    Refuses to overwrite an existing release; the new file is validated before it is written.
    """
    from quantmatrix.usecases.release import new_release

    made = new_release(path, version, previous)
    echo(f"{style('wrote', 'green')} {made.file} from {made.previous} (rollback.previous: {made.previous})")
    echo(f"open: {', '.join(made.open_items)}")
    echo("next: edit it, then `qm diff --base main` and `qm check --base main`")
