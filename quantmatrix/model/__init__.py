"""Pydantic models of the desired state: the three kinds and their shared types."""

from pydantic import BaseModel

from quantmatrix.model.common import API_VERSION, Approval, Mode, SecretRef
from quantmatrix.model.environment import Environment, EnvironmentBase
from quantmatrix.model.release import Release
from quantmatrix.model.secrets import SecretCatalog

KINDS: dict[str, type[BaseModel]] = {
    "Environment": Environment,
    "EnvironmentBase": EnvironmentBase,
    "Release": Release,
    "SecretCatalog": SecretCatalog,
}

__all__ = ["API_VERSION", "KINDS", "Approval", "Environment", "EnvironmentBase", "Mode", "Release", "SecretCatalog", "SecretRef"]
