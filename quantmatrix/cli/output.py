"""Terminal output for the commands: `quantmatrix.render.terminal`, re-exported (library
modules import it from there, never from `quantmatrix.cli`)."""

from __future__ import annotations

from quantmatrix.render.terminal import echo, style, use_color

__all__ = ["echo", "style", "use_color"]
