"""The policy input: the whole desired state as one document, built once per run.

Rules span files ("the release live runs passed paper"), so they see everything at once:
`DesiredState.document()` plus `context.today` (rules about expiry and observation periods
must not read a clock themselves, so tests can pin the date), `urls` (every URL field parsed
into scheme, host and port by `quantmatrix/policy/urls.py`: rules compare hosts, never
substrings) and, in a pull request, `change` (the diff against the base branch), passed
through untouched.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from quantmatrix.policy.urls import parsed_urls
from quantmatrix.state import DesiredState


def policy_input(
    state: DesiredState,
    change: dict[str, Any] | None = None,
    today: dt.date | str | None = None,
    waivers: tuple[str, Any] | None = None,
) -> dict[str, Any]:
    """`waivers`: (file, parsed data) of the waivers file, which the pack scans for pasted
    secrets like every other file (`input.waivers[file]`)."""
    document = state.document()
    document["waivers"] = {waivers[0]: waivers[1]} if waivers is not None and waivers[1] is not None else {}
    day = today or dt.date.today()
    document["context"] = {"today": day if isinstance(day, str) else day.isoformat()}
    document["urls"] = parsed_urls(document)
    if change is not None:
        document["change"] = change
    return document


def input_json(document: dict[str, Any]) -> str:
    """Serialised once and handed to the engine as is (not converted per rule)."""
    return json.dumps(document, separators=(",", ":"), default=str)
