"""Terminal output: colour only on a TTY and never when NO_COLOR is set (no-color.org)."""

from __future__ import annotations

import os
import sys

import click


def use_color(err: bool = False) -> bool:
    if "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "":
        return False
    stream = sys.stderr if err else sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def style(text: str, fg: str, bold: bool = False) -> str:
    """ANSI-styled text; `echo` strips the codes again where colour is off."""
    return click.style(text, fg=fg, bold=bold)


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    click.echo(message, err=err, nl=nl, color=use_color(err))
