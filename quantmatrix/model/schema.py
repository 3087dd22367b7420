"""JSON Schemas generated from the models, one per kind, for editors and for CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quantmatrix.model import KINDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def kind_schema(kind: str) -> dict[str, Any]:
    schema = KINDS[kind].model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": f"https://quantmatrix.io/schemas/v1/{kind}.schema.json", **schema}


def write_schemas(out: Path) -> list[Path]:
    """Write `<Kind>.schema.json` for every kind into `out`; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = out / f"{kind}.schema.json"
        path.write_text(json.dumps(kind_schema(kind), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
