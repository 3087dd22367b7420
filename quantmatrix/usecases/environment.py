"""`qm render`: one environment's effective document, as the loader built it, made safe to show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quantmatrix.redaction import redact_any
from quantmatrix.repo.lookup import unknown_environment

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState, Layered


def effective_document(state: DesiredState, name: str) -> tuple[Any, Layered]:
    """The effective environment `name` (its file merged over its bases) with any pasted secret
    `<redacted>`, and the layers it came from."""
    if name not in state.effective:
        raise unknown_environment(state, name)
    layered = state.effective[name]
    return redact_any(layered.data), layered
