"""`qm halt`, `qm resume`, `qm down`: the operator's controls outside an apply."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from quantmatrix.cli.options import path_argument
from quantmatrix.cli.output import echo


def _connected(environment: str, path: str, create: bool = False):  # type: ignore[no-untyped-def]
    from quantmatrix.reconcile.connect import connect
    from quantmatrix.usecases.load import load_state

    return connect(load_state(path).state, environment, path, create=create)


@click.command()
@click.argument("environment")
@path_argument
@click.option("--reason", required=True, help="Why trading stops (recorded).")
@click.option("--by", default=None, help="Who halts (default: this user@host).")
def halt(environment: str, path: str, reason: str, by: str | None) -> None:
    """Halt trading in ENVIRONMENT now (no lock needed). It stands until `qm resume`."""
    from quantmatrix.reconcile.operate import halt as run_halt

    connected = _connected(environment, path)
    try:
        for line in run_halt(connected, reason, datetime.now(UTC), by).lines:
            echo(line)
    finally:
        connected.close()


@click.command()
@click.argument("environment")
@path_argument
@click.option("--by", default=None, help="Who resumes (default: this user@host).")
def resume(environment: str, path: str, by: str | None) -> None:
    """Clear an operator halt and enable trading, after health, smoke, safety and
    reconciliation checks pass (exit 1 when one fails: trading stays HALTED)."""
    from quantmatrix.reconcile.operate import resume as run_resume

    connected = _connected(environment, path)
    try:
        for line in run_resume(connected, datetime.now(UTC), by).lines:
            echo(line)
    finally:
        connected.close()


@click.command()
@click.argument("environment")
@path_argument
def down(environment: str, path: str) -> None:
    """Stop what the driver started for ENVIRONMENT (trading halted first)."""
    from quantmatrix.reconcile.operate import down as run_down

    connected = _connected(environment, path)
    try:
        for line in run_down(connected, datetime.now(UTC)).lines:
            echo(line)
    finally:
        connected.close()
