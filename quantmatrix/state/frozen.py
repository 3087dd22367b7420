"""Deeply read-only JSON data: the effective documents every consumer of the state shares.

`FrozenDict` and `FrozenList` subclass `dict` and `list`, so everything that reads JSON data
(isinstance checks, `json.dumps`, the Rego engines, pydantic in strict mode) reads them
unchanged, while every mutating method raises `TypeError`. `freeze` builds a fresh frozen
copy: two frozen trees never share a container, so nothing one consumer holds can be
reached through another's. A consumer that needs to fill in defaults or resolve values
works on `thaw(data)`, its own mutable copy.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel


def _refuse(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"the desired state is read-only ({type(self).__name__}); work on quantmatrix.state.thaw(data)")


class FrozenDict(dict[str, Any]):
    """A mapping of the desired state: reads like a dict, refuses every change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:  # pickle: a frozen copy
        return (_frozen_dict, (dict(self),))

    def copy(self) -> dict[str, Any]:
        """A plain, mutable, shallow copy (as `dict.copy` of a dict)."""
        return dict(self)

    __copy__ = copy

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        """`copy.deepcopy`: the caller's own plain, mutable copy (as `thaw`)."""
        return thaw(self)  # type: ignore[no-any-return]


class FrozenList(list[Any]):
    """A list of the desired state: reads like a list, refuses every change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = reverse = sort = clear = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (_frozen_list, (list(self),))

    def copy(self) -> list[Any]:
        return list(self)

    __copy__ = copy

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return thaw(self)  # type: ignore[no-any-return]


def _frozen_dict(items: dict[str, Any]) -> FrozenDict:
    return FrozenDict(items)


def _frozen_list(items: list[Any]) -> FrozenList:
    return FrozenList(items)


def freeze(data: Any) -> Any:
    """A deeply frozen copy of JSON-like `data` (dicts and lists; scalars are immutable)."""
    kind = type(data)
    if kind is dict or kind is FrozenDict:
        return FrozenDict({key: freeze(value) for key, value in data.items()})
    if kind is list or kind is FrozenList or kind is tuple:
        return FrozenList([freeze(value) for value in data])
    return data


def thaw(data: Any) -> Any:
    """A deep, plain, mutable copy of frozen (or any JSON-like) data."""
    if isinstance(data, dict):
        return {key: thaw(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [thaw(value) for value in data]
    return data


Model = TypeVar("Model", bound=BaseModel)


def freeze_model(model: Model) -> Model:
    """`model` with every list and dict in its fields frozen, at any depth (the models are
    `frozen=True`, which stops assignment to a field but not `spec.strategies.append(...)`)."""
    for name, value in model.__dict__.items():
        object.__setattr__(model, name, _freeze_value(value))
    return model


def _freeze_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return freeze_model(value)
    if isinstance(value, dict):
        return FrozenDict({key: _freeze_value(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):  # a named tuple keeps its type
        frozen = [_freeze_value(item) for item in value]
        return FrozenList(frozen) if isinstance(value, list) else tuple(frozen)
    return value
