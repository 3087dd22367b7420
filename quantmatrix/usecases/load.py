"""The desired state at PATH (or at `--ref` of its git repository): the one way every command
loads it, so that all of them read the same files and name a problem the same way (from the
git root, and `REF:file` in a ref: nobody looks for it in the work tree).

Imports are deferred: `qm apply` with nothing to do must not pay for more than the loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quantmatrix.repo.source import Source
    from quantmatrix.state import DesiredState


@dataclass(frozen=True)
class Loaded:
    """A loaded desired state and where it was read from (the policy pack, edits and the
    reconciler's content hashes read the same source)."""

    state: DesiredState
    source: Source


def load_state(path: str | Path = ".", ref: str | None = None) -> Loaded:
    """Load the desired state under `path` (a directory, or `ref` of the git repository
    holding it; a subdirectory is read at `ref` too). Invalid input raises ConfigError with
    every problem, named from the git root."""
    from quantmatrix.repo.loader import load_reported
    from quantmatrix.repo.source import open_source

    source = open_source(path, ref)
    return Loaded(load_reported(source, ref), source)
