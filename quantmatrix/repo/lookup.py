"""One environment of a loaded desired state by name: every command that takes ENV (render,
checks, and the reconciler's plan/apply/status) finds it, or refuses it, the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantmatrix.errors import ConfigError, Problem

if TYPE_CHECKING:
    from quantmatrix.model import Environment
    from quantmatrix.state import DesiredState


def unknown_environment(state: DesiredState, name: str) -> ConfigError:
    known = ", ".join(sorted(state.environments)) or "none"
    return ConfigError(Problem(subject="environments", message=f"no environment '{name}' (have: {known})"))


def environment_named(state: DesiredState, name: str) -> Environment:
    """The validated environment `name`, or a ConfigError listing the ones there are."""
    if name not in state.environments:
        raise unknown_environment(state, name)
    return state.environments[name]
