"""Pydantic validation errors → `Problem`s at the file and line of the offending value.

Messages never include the input value: a mistyped field might hold a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from quantmatrix.errors import Problem
from quantmatrix.repo.yamlfile import Path, dotted

Locate = Callable[[Path], tuple[str, int, int]]
Model = TypeVar("Model", bound=BaseModel)

_UNION_MEMBERS = {"SecretRef", "Approval", "str", "int", "float", "bool", "date", "datetime", "CapitalIncrease"}

# pydantic's wording → ours, for the types people get wrong in YAML
_TYPE_MESSAGES = {
    "bool_type": "must be true or false (unquoted; yes/no/on/off are strings)",
    "float_type": "must be a number (unquoted)",
    "int_type": "must be a whole number (unquoted)",
    "string_type": "must be a string",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
}


def _message(error: ErrorDetails) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    ctx = error.get("ctx") or {}
    if kind in ("model_type", "dict_type", "model_attributes_type") and (
        "SecretRef" in str(error["loc"]) or ctx.get("class_name") == "SecretRef"
    ):
        return "must be a secret reference {secret: NAME}; never write a secret value in git"
    if kind.startswith(("date_", "datetime_")):
        return "must be a date written YYYY-MM-DD"
    if kind in ("model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    message = msg.removeprefix("Value error, ").replace("Input should be", "must be").replace("String should", "must")
    return f"key {message}" if error["loc"] and error["loc"][-1] == "[key]" else message


def _clean_loc(loc: tuple[Any, ...]) -> Path:
    """Drop pydantic's union-member, function and dict-key markers from an error location."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part in _UNION_MEMBERS or part == "[key]" or part.startswith(("function-", "literal[", "nullable["))
        ):
            continue
        out.append(part)
    return tuple(out)


def _one_per_union(errs: list[ErrorDetails]) -> list[ErrorDetails]:
    """A union (`SecretRef | None`, `date | datetime`) reports once per member: keep one."""
    if len({e["loc"] for e in errs}) == 1:
        return errs
    useful = [e for e in errs if e["type"] != "none_required"] or errs
    return useful[:1]


def validate_model(model: type[Model], data: Any, locate: Locate) -> tuple[Model | None, list[Problem]]:
    """Validate `data`; on failure return one problem per distinct location and message."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems: dict[tuple[Path, str], Problem] = {}
        by_loc: dict[Path, list[ErrorDetails]] = {}
        for error in exc.errors(include_input=False, include_url=False):
            # a validator may name the exact item it is about (ctx "at", relative to its field)
            at = tuple((error.get("ctx") or {}).get("at", ()))
            by_loc.setdefault(_clean_loc(error["loc"]) + at, []).append(error)
        for path, errs in by_loc.items():
            for error in _one_per_union(errs):
                message = _message(error)
                file, line, col = locate(path[:-1] if error["type"] == "missing" else path)
                problems.setdefault((path, message), Problem(file, line, col, dotted(path), message))
        return None, list(problems.values())
