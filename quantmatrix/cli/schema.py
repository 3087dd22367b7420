"""`qm schema`: export one JSON Schema per kind."""

from __future__ import annotations

from pathlib import Path

import click

from quantmatrix.cli.output import echo


@click.command()
@click.option(
    "--out",
    "out",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory to write into.",
)
def schema(out: str) -> None:
    """Write <Kind>.schema.json for Environment, EnvironmentBase, Release and SecretCatalog."""
    from quantmatrix.model.schema import write_schemas

    for path in write_schemas(Path(out)):
        echo(f"wrote {path}")
