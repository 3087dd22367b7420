"""Terminal output: colour only on a TTY and never when NO_COLOR is set (no-color.org), and
one writer, `echo`, that every command prints through — it makes whatever it is given inert
(secrets redacted, control and bidi characters escaped; our own colour codes kept)."""

from __future__ import annotations

import os
import sys

import click

from quantmatrix.render.inert import escape_controls, inert


def use_color(err: bool = False) -> bool:
    if "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "":
        return False
    stream = sys.stderr if err else sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def style(text: str, fg: str, bold: bool = False) -> str:
    """ANSI-styled text (its own control characters escaped first, so a styled value stays
    inert); `echo` strips the codes again where colour is off."""
    return click.style(escape_controls(text), fg=fg, bold=bold)


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    click.echo(inert(message), err=err, nl=nl, color=use_color(err))
