"""The loaded, deeply read-only desired state (below the loader: `model/` ← `state` ← `repo/`)."""

from quantmatrix.state.desired import DesiredState, Layered
from quantmatrix.state.document import Path, YamlDocument, dotted
from quantmatrix.state.frozen import FrozenDict, FrozenList, freeze, freeze_model, thaw

__all__ = [
    "DesiredState",
    "FrozenDict",
    "FrozenList",
    "Layered",
    "Path",
    "YamlDocument",
    "dotted",
    "freeze",
    "freeze_model",
    "thaw",
]
