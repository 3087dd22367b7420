"""Turn the regorus interpreter's error text into `file:line:col: message`.

Regorus raises `RuntimeError("\n--> policies/x.rego:3:12\n  |\n3 | ...\n  |   ^\nerror: expecting
...\n\nStack backtrace:\n 0: ...")`. Users need the location and the message, never the
source excerpt or a Rust backtrace.
"""

from __future__ import annotations

import re

from quantmatrix.errors import Problem

_WHERE = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\s*$", re.MULTILINE)
_ERROR = re.compile(r"^error:\s*(?P<message>.+)$", re.MULTILINE)


def clean_message(text: str) -> str:
    """The interpreter's message without source excerpt and backtrace."""
    text = text.split("Stack backtrace:", 1)[0]
    found = _ERROR.search(text)
    if found:
        return found.group("message").strip()
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "policy evaluation failed"


def rego_problem(error: BaseException | str, default_file: str = "policies") -> Problem:
    """A `Problem` at the location regorus reports (or at `default_file` when it has none)."""
    text = str(error)
    where = _WHERE.search(text.split("Stack backtrace:", 1)[0])
    if where:
        return Problem(
            where.group("file").strip(), int(where.group("line")), int(where.group("col")), "", clean_message(text)
        )
    return Problem(default_file, 0, 0, "", clean_message(text))
