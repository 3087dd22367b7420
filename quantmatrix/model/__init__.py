"""Pydantic models of the desired state: the three kinds and their shared types.

The names below load on first use (PEP 562): building the models costs ~0.15 s, and a module
that only needs `model.common` (a `Mode`, a `Name`) must not pay for all of them; the in-sync
fast path of `qm apply` (reconcile.noop) builds none."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from pydantic import BaseModel

    from quantmatrix.model.common import API_VERSION, Approval, Mode, SecretRef, mode_rank
    from quantmatrix.model.environment import Environment, EnvironmentBase
    from quantmatrix.model.release import Release
    from quantmatrix.model.secrets import SecretCatalog

    KINDS: dict[str, type[BaseModel]]

_HOMES = {
    "API_VERSION": "common",
    "Approval": "common",
    "Mode": "common",
    "SecretRef": "common",
    "mode_rank": "common",
    "Environment": "environment",
    "EnvironmentBase": "environment",
    "Release": "release",
    "SecretCatalog": "secrets",
}


def kind_of(model: type[BaseModel]) -> str:
    """The `kind` a model's documents carry, read from its `kind: Literal[...]` field, so that
    each kind's name is written once (on its model)."""
    return str(get_args(model.model_fields["kind"].annotation)[0])


def __getattr__(name: str) -> Any:
    if name == "KINDS":
        from quantmatrix.model.environment import Environment, EnvironmentBase
        from quantmatrix.model.release import Release
        from quantmatrix.model.secrets import SecretCatalog

        kinds = {kind_of(m): m for m in (Environment, EnvironmentBase, Release, SecretCatalog)}
        globals()["KINDS"] = kinds
        return kinds
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
