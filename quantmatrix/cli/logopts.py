"""`--log-format json|text` for long-running commands (`qm serve`, the reconcile loop)."""

from __future__ import annotations

import sys

import click

from quantmatrix.observability.logs import LOG_FORMATS

log_format_option = click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="Log lines on stderr: one JSON object per line, or text. Secrets are redacted in both.",
)


def start_logging(log_format: str) -> None:
    from quantmatrix.observability.logs import configure_logging

    configure_logging(log_format, sys.stderr)
