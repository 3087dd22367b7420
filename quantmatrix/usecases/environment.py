"""One environment of the desired state by name: every command that takes ENV finds it (or
refuses it) the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.redaction import redact_any

if TYPE_CHECKING:
    from quantmatrix.model import Environment
    from quantmatrix.state import Layered
    from quantmatrix.state import DesiredState


def unknown_environment(state: DesiredState, name: str) -> ConfigError:
    known = ", ".join(sorted(state.environments))
    return ConfigError(Problem(subject="environments", message=f"no environment '{name}' (have: {known})"))


def environment_named(state: DesiredState, name: str) -> Environment:
    """The validated environment `name`, or a ConfigError listing the ones there are."""
    if name not in state.environments:
        raise unknown_environment(state, name)
    return state.environments[name]


def effective_document(state: DesiredState, name: str) -> tuple[Any, Layered]:
    """`qm render`: the effective environment `name` (its file merged over its bases) with any
    pasted secret `<redacted>`, and the layers it came from."""
    if name not in state.effective:
        raise unknown_environment(state, name)
    layered = state.effective[name]
    return redact_any(layered.data), layered
