"""Pydantic models of the desired state: the three kinds and their shared types."""

from typing import get_args

from pydantic import BaseModel

from quantmatrix.model.common import API_VERSION, Approval, Mode, SecretRef, mode_rank
from quantmatrix.model.environment import Environment, EnvironmentBase
from quantmatrix.model.release import Release
from quantmatrix.model.secrets import SecretCatalog


def kind_of(model: type[BaseModel]) -> str:
    """The `kind` a model's documents carry, read from its `kind: Literal[...]` field, so that
    each kind's name is written once (on its model)."""
    return str(get_args(model.model_fields["kind"].annotation)[0])


KINDS: dict[str, type[BaseModel]] = {kind_of(m): m for m in (Environment, EnvironmentBase, Release, SecretCatalog)}

__all__ = [
    "API_VERSION",
    "KINDS",
    "Approval",
    "Environment",
    "EnvironmentBase",
    "Mode",
    "Release",
    "SecretCatalog",
    "SecretRef",
    "kind_of",
    "mode_rank",
]
