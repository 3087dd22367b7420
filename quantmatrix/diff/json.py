"""`qm diff --format json`: the change document (what the policies see at `input.change`),
without the base specs it carries for rules, with secret-looking strings redacted, and with
a `location` (`file:line`, as the text format shows it) next to every `path`: a tool that
annotates a pull request needs the file, a rule only the path."""

from __future__ import annotations

import json
from typing import Any

from quantmatrix.diff.document import change_document
from quantmatrix.diff.locations import located
from quantmatrix.diff.model import Path, StateDiff
from quantmatrix.diff.values import field_key, redacted
from quantmatrix.redaction import redact_text
from quantmatrix.render.inert import inert_strings


def _safe_delta(delta: Any) -> Any:
    """Every string redacted (keys, names, paths); a delta's old and new as the field they
    sit under (a credential-named field redacts every literal in it)."""
    if isinstance(delta, dict) and "path" in delta and "old" in delta:
        key = field_key(tuple(delta["path"]))
        rest = _safe_delta({k: v for k, v in delta.items() if k not in ("old", "new")})
        return {**rest, "old": redacted(delta["old"], key), "new": redacted(delta["new"], key)}
    if isinstance(delta, dict):
        return {(redact_text(k) if isinstance(k, str) else k): _safe_delta(v) for k, v in delta.items()}
    if isinstance(delta, (list, tuple)):
        return [_safe_delta(v) for v in delta]
    if isinstance(delta, str):
        return redact_text(delta)
    return delta


_VALUES = {"old", "new", "base"}


def _with_locations(node: Any, locations: dict[Path, str]) -> Any:
    """Every mapping with a `path` (a delta, a strategy, the blocked symbols, a catalog entry)
    gets the `location` of that path; "" where there is none (nothing changed there). Values
    (`old`, `new`, the base spec) are the state's own data and stay as they are."""
    if isinstance(node, dict):
        found = {k: v if k in _VALUES else _with_locations(v, locations) for k, v in node.items()}
        if isinstance(node.get("path"), list):
            found["location"] = locations.get(tuple(node["path"]), "")
        return found
    if isinstance(node, list):
        return [_with_locations(v, locations) for v in node]
    return node


def render_json(diff: StateDiff) -> str:
    document = _with_locations(change_document(diff), located(diff))
    for env in document["environments"].values():
        env.pop("base", None)
    document["empty"] = diff.empty
    document["unchanged_environments"] = list(diff.unchanged_environments)
    return json.dumps(inert_strings(_safe_delta(document)), indent=2, default=str) + "\n"
