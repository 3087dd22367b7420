"""Words every report uses the same way (the gate's reports, the diff, the PR summary)."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """`1 finding`, `2 findings`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
