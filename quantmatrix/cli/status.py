"""`qm status [ENV]`: desired vs running, for one environment or all of them."""

from __future__ import annotations

import json
from typing import Any

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo
from quantmatrix.errors import ExitCode


@click.command()
@click.argument("environment", required=False)
@path_argument
@ref_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status(environment: str | None, path: str, ref: str | None, fmt: str) -> None:
    """Desired vs running for ENVIRONMENT: release, configuration, components, trading, drift,
    the last deployment and the monitoring window. Without ENVIRONMENT: one line per
    environment of the desired state (JSON: a list of the per-environment documents); one
    whose store or services cannot be read shows as unavailable. Exit 0, 2 invalid input,
    3 unavailable (without ENVIRONMENT: only when no environment could be read)."""
    from quantmatrix.usecases.load import load_state

    loaded = load_state(path, ref)
    state, source = loaded.state, loaded.source
    if environment is not None:
        doc = _one(state, source, environment, path)
        from quantmatrix.reconcile.render import status_text

        echo(json.dumps(doc, indent=2) if fmt == "json" else status_text(doc), nl=fmt != "text")
        return
    from redis.exceptions import RedisError
    from sqlalchemy.exc import SQLAlchemyError

    from quantmatrix.errors import QMError

    docs = []
    for name in sorted(state.environments):
        try:
            docs.append(_one(state, source, name, path))
        except (
            QMError,
            OSError,
            SQLAlchemyError,
            RedisError,
        ) as error:  # one unreadable environment never hides the others
            docs.append(
                {"environment": name, "mode": state.environments[name].spec.mode.value, "unavailable": _why(error)}
            )
    if fmt == "json":
        echo(json.dumps(docs, indent=2))
    else:
        from quantmatrix.reconcile.render import status_line

        for doc in docs:
            echo(status_line(doc))
    if docs and all("unavailable" in doc for doc in docs):
        raise click.exceptions.Exit(int(ExitCode.UNAVAILABLE))


def _one(state: Any, source: Any, name: str, path: str) -> dict[str, Any]:
    from quantmatrix.reconcile.apply import desired_of
    from quantmatrix.reconcile.connect import connect
    from quantmatrix.reconcile.status import environment_status

    connected = connect(state, name, path, create=False)
    try:
        return environment_status(desired_of(state, connected, None, source), connected)
    finally:
        connected.close()


def _why(error: BaseException) -> str:
    problems = getattr(error, "problems", None)
    if problems:
        return "; ".join(str(p.message) for p in problems)
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
