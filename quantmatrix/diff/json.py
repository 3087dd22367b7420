"""`qm diff --format json`: the change document (what the policies see at `input.change`),
without the base specs it carries for rules, and with secret-looking strings redacted."""

from __future__ import annotations

import json
from typing import Any

from quantmatrix.diff.document import change_document
from quantmatrix.diff.model import StateDiff
from quantmatrix.diff.values import redacted


def _safe_delta(delta: Any) -> Any:
    if isinstance(delta, dict) and "path" in delta and "old" in delta:
        key = str(delta["path"][-1]) if delta["path"] else ""
        return {**delta, "old": redacted(delta["old"], key), "new": redacted(delta["new"], key)}
    if isinstance(delta, dict):
        return {k: _safe_delta(v) for k, v in delta.items()}
    if isinstance(delta, list):
        return [_safe_delta(v) for v in delta]
    return delta


def render_json(diff: StateDiff) -> str:
    document = change_document(diff)
    for env in document["environments"].values():
        env.pop("base", None)
    document["empty"] = diff.empty
    document["unchanged_environments"] = list(diff.unchanged_environments)
    return json.dumps(_safe_delta(document), indent=2, default=str) + "\n"
