"""Pydantic validation errors → `Problem`s at the file and line of the offending value.

Messages never include the input value: a mistyped field might hold a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from quantmatrix.errors import Problem
from quantmatrix.repo.yamlfile import Path, dotted

Locate = Callable[[Path], tuple[str, int, int]]

_UNION_MEMBERS = {"SecretRef", "Approval", "str", "int", "float", "bool", "date", "datetime", "CapitalIncrease"}


def _message(error: dict[str, Any]) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "dict_type", "model_attributes_type") and "SecretRef" in str(error.get("loc")):
        return "must be a secret reference {secret: NAME}; never write a secret value in git"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    return msg.removeprefix("Value error, ").replace("Input should be", "must be")


def _clean_loc(loc: tuple[Any, ...]) -> Path:
    """Drop pydantic's union-member and function markers from an error location."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part in _UNION_MEMBERS or part.startswith(("function-", "literal[", "nullable["))):
            continue
        out.append(part)
    return tuple(out)


def validate_model(model: type[BaseModel], data: Any, locate: Locate) -> tuple[BaseModel | None, list[Problem]]:
    """Validate `data`; on failure return one problem per distinct location and message."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems: dict[tuple[Path, str], Problem] = {}
        errors = exc.errors(include_input=False, include_url=False)
        by_loc: dict[Path, list[dict[str, Any]]] = {}
        for error in errors:
            by_loc.setdefault(_clean_loc(error["loc"]), []).append(error)
        for path, errs in by_loc.items():
            # A union (e.g. `SecretRef | None`) reports one error per member: keep the most useful.
            if len(errs) > 1 and any(e["type"] == "none_required" for e in errs):
                errs = [e for e in errs if e["type"] != "none_required"]
            for error in errs:
                message = _message(error)
                if error["type"] == "missing":
                    where = locate(path[:-1])
                else:
                    where = locate(path)
                problems.setdefault((path, message), Problem(where[0], where[1], where[2], dotted(path), message))
        return None, list(problems.values())
