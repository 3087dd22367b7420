"""Options several commands share, so that they read the same everywhere."""

from __future__ import annotations

import click

from quantmatrix.cli import completion

path_argument = click.argument("path", default=".", type=click.Path(file_okay=False, dir_okay=True))
ref_option = click.option("--ref", default=None, metavar="REF", shell_complete=completion.git_refs, help="Read the desired state at this git ref (work tree untouched).")
