"""JSON Schemas generated from the models, one per kind, for editors and for CI.

Two views of an environment:
- `kind_schema("Environment")` is the *effective* environment (after layering): every
  required field required. `qm render --format json` output validates against it.
- `file_schema(kind)` is what a *file* may contain, the one written to `schemas/` and named
  by the `# yaml-language-server: $schema=` line of each file. An environment file and a
  base are layers: whatever the other layer supplies may be left out, and an explicit null
  removes an inherited value. So under `spec` nothing is required and every mapping field
  may be null; what is required is checked on the effective environment by `qm validate`.
  Lists replace rather than merge, so a list item (a strategy) is still written whole, and
  so are secret references and approvals.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from quantmatrix.model import KINDS, Environment, EnvironmentBase, kind_of

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_SPEC_DEF = "EnvironmentSpec"
_WRITTEN_WHOLE = {"SecretRef", "Approval"}
_REF_PREFIX = "#/$defs/"


def kind_schema(kind: str) -> dict[str, Any]:
    """The schema of a validated document of `kind` (for environments: the effective one)."""
    schema = KINDS[kind].model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": f"https://quantmatrix.io/schemas/v1/{kind}.schema.json", **schema}


def file_schema(kind: str) -> dict[str, Any]:
    """The schema of a file of `kind` as written in the repository (environments are layers)."""
    if kind not in (kind_of(Environment), kind_of(EnvironmentBase)):
        return kind_schema(kind)
    layer_defs = _layer_defs(kind_schema(kind_of(Environment))["$defs"])
    schema = kind_schema(kind)
    schema["$defs"] = {**layer_defs, **schema["$defs"]} if kind == kind_of(EnvironmentBase) else layer_defs
    schema["properties"]["spec"] = {
        "$ref": f"{_REF_PREFIX}{_SPEC_DEF}",
        "description": "Settings of this layer, merged over its base: maps merge, lists replace, null removes.",
    }
    return schema


def _layer_defs(defs: dict[str, Any]) -> dict[str, Any]:
    """`defs` with the mappings reachable from the spec through mapping fields relaxed: no
    required fields, null allowed."""
    defs = copy.deepcopy(defs)
    todo, seen = [_SPEC_DEF], set()
    while todo:
        name = todo.pop()
        if name in seen or name in _WRITTEN_WHOLE:
            continue
        seen.add(name)
        definition = defs[name]
        definition.pop("required", None)
        for field, prop in definition.get("properties", {}).items():
            todo.extend(_direct_refs(prop))
            definition["properties"][field] = _nullable(prop)
    return defs


def _direct_refs(prop: dict[str, Any]) -> list[str]:
    """Definitions a property is (one of), not those of its list items or map values."""
    options = prop.get("anyOf", []) + prop.get("allOf", []) + [prop]
    return [o["$ref"].removeprefix(_REF_PREFIX) for o in options if "$ref" in o]


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    if {"type": "null"} in prop.get("anyOf", []) or prop.get("type") == "null":
        return prop
    outer: dict[str, Any] = {k: prop[k] for k in ("title", "description", "default") if k in prop}
    inner = {k: v for k, v in prop.items() if k not in outer}
    return {"anyOf": [inner, {"type": "null"}], **outer}


def write_schemas(out: Path) -> list[Path]:
    """Write `<Kind>.schema.json` (the file schema) for every kind into `out`; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = out / f"{kind}.schema.json"
        path.write_text(json.dumps(file_schema(kind), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
