"""`qm diff --format json`: the change document (what the policies see at `input.change`),
without the base specs it carries for rules, and with secret-looking strings redacted."""

from __future__ import annotations

import json
from typing import Any

from quantmatrix.diff.document import change_document
from quantmatrix.diff.model import StateDiff
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


def render_json(diff: StateDiff) -> str:
    document = change_document(diff)
    for env in document["environments"].values():
        env.pop("base", None)
    document["empty"] = diff.empty
    document["unchanged_environments"] = list(diff.unchanged_environments)
    return json.dumps(inert_strings(_safe_delta(document)), indent=2, default=str) + "\n"
