"""`qm release new VERSION`: load the desired state at PATH, then write the new manifest
carried forward from the previous release (`quantmatrix.release.scaffold`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quantmatrix.release.scaffold import Scaffold


def new_release(path: str | Path, version: str, previous: str | None = None) -> Scaffold:
    """Write `releases/<version>.yaml` in the work tree at `path` from `previous` (default: the
    highest release). VERSION is checked before the state is loaded: a typo is named as
    such, whatever else is wrong."""
    from quantmatrix.release.scaffold import check_version, write_release
    from quantmatrix.usecases.load import load_state

    check_version(version)
    return write_release(load_state(path).state, path, version, previous)
