"""Options several commands share, defined once so that they read (and behave) the same
everywhere: `qm check`, `qm diff` and whatever runs the policy gate next."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from quantmatrix.cli import completion

F = TypeVar("F", bound=Callable[..., object])

path_argument = click.argument("path", default=".", type=click.Path(file_okay=False, dir_okay=True))
ref_option = click.option(
    "--ref",
    default=None,
    metavar="REF",
    shell_complete=completion.git_refs,
    help="Read the desired state at this git ref (work tree untouched).",
)
opa_url_option = click.option(
    "--opa-url", metavar="URL", envvar="QM_OPA_URL", help="OPA server for --engine opa (env QM_OPA_URL)."
)
today_option = click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="The date rules and waivers see (default: the machine's date): judge as of another day, or pin it in benchmarks and tests.",
)


def gate_options(command: F) -> F:
    """`--engine`, `--opa-url` and `--today`: how the policy gate runs, for every command that
    runs it. The engines are those of `ENGINES` (imported here, when a command that runs the
    gate is loaded, so that `qm validate` never imports the policy package)."""
    from quantmatrix.policy.engines import ENGINES

    engine_option = click.option(
        "--engine", type=click.Choice(list(ENGINES)), default="embedded", show_default=True, help="Policy engine."
    )
    return engine_option(opa_url_option(today_option(command)))
