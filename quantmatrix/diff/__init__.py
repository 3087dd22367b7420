"""Desired-state diff between two states (git refs or the work tree) and the PR summary.

`diff_states(base, head) -> StateDiff` is the semantic diff; `change_document(diff)` is the
`input.change` the policies see (shape documented in `quantmatrix/diff/document.py`).
"""

from quantmatrix.diff.document import change_document
from quantmatrix.diff.model import Change, EnvironmentDiff, ReleaseDiff, StateDiff, StrategyDiff
from quantmatrix.diff.state import diff_states

__all__ = ["Change", "EnvironmentDiff", "ReleaseDiff", "StateDiff", "StrategyDiff", "change_document", "diff_states"]
