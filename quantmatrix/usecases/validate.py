"""`qm validate`: load the desired state and say what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Summary:
    """What a valid desired state holds (invalid input raises ConfigError with every problem)."""

    source: str
    environments: tuple[str, ...]
    releases: tuple[str, ...]
    secrets: int


def validate(path: str | Path, ref: str | None = None) -> Summary:
    from quantmatrix.usecases.load import load_state

    state = load_state(path, ref).state  # problems named from the git root
    secrets = len(state.catalog.spec.secrets) if state.catalog else 0
    return Summary(state.source, tuple(sorted(state.environments)), tuple(sorted(state.releases)), secrets)
