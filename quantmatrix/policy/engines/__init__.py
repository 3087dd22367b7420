"""Policy engines: modules behind one Protocol, listed in one dict (pre-commit style).

An engine evaluates the pack's `data.qm.rules` document once, for one input, and returns it
as plain JSON data; the gate turns its `deny`/`warn` sets into findings. Because every
engine returns the same document, identical input gives identical findings whichever runs.
Adding an engine is one module plus one entry in `ENGINES`; modules import their heavy
client libraries only when they run, so `qm check` starts fast.
"""

from __future__ import annotations

from typing import Any, Protocol

from quantmatrix.errors import PolicyError
from quantmatrix.policy.engines import embedded, opa
from quantmatrix.policy.pack import Pack


class Engine(Protocol):
    def evaluate(self, pack: Pack, input_json: str, *, url: str | None = None) -> dict[str, Any]:
        """The value of `data.qm.rules` (package name → its rules' values) for `input_json`."""
        ...


ENGINES: dict[str, Engine] = {"embedded": embedded, "opa": opa}


def engine(name: str) -> Engine:
    if name not in ENGINES:
        raise PolicyError(f"unknown policy engine '{name}' (choose from {', '.join(sorted(ENGINES))})")
    return ENGINES[name]
