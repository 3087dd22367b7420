"""Field paths taken from typed accessors: `field_path(EnvironmentSpec, lambda s: s.capital.limit)`
is `("capital", "limit")`.

Code that walks a model's plain data (the effective documents, the policy input) still has to
name fields. Named through an accessor, a renamed field is a type error (mypy checks the
lambda against the model) and an error on import (the path is checked against the models'
`model_fields` here), instead of a key that silently matches nothing.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)


class _Recorder:
    """Stands in for a model instance and records the attributes read from it."""

    __slots__ = ("_qm_fields",)

    def __init__(self, fields: tuple[str, ...] = ()) -> None:
        self._qm_fields = fields

    def __getattr__(self, name: str) -> _Recorder:
        return _Recorder((*self._qm_fields, name))


def field_path(model: type[Model], read: Callable[[Model], object]) -> tuple[str, ...]:
    """The names of the fields `read` follows from `model`; `read` must be a chain of
    attribute reads (`lambda s: s.execution.credentials`), each one a field of its model."""
    recorded = read(cast(Model, _Recorder()))
    if not isinstance(recorded, _Recorder) or not recorded._qm_fields:
        raise TypeError(f"{model.__name__}: an accessor must read a chain of fields, e.g. `lambda m: m.a.b`")
    path = recorded._qm_fields
    current: type[BaseModel] | None = model
    for depth, name in enumerate(path):
        if current is None:
            raise TypeError(f"{model.__name__}.{'.'.join(path)}: '{path[depth - 1]}' is not a model")
        if name not in current.model_fields:
            raise TypeError(f"{model.__name__}.{'.'.join(path)}: {current.__name__} has no field '{name}'")
        current = _model_of(current.model_fields[name].annotation)
    return path


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (`Capital`, or `Capital | None`), None for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [m for m in map(_model_of, get_args(annotation)) if m is not None]
        return models[0] if len(models) == 1 else None
    return None


def read_path(model: BaseModel, path: tuple[str, ...]) -> Any:
    """The value at a path `field_path` gave, read from an instance of its model."""
    value: Any = model
    for name in path:
        value = getattr(value, name)
    return value
