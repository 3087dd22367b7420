"""Output formats of `qm check`, in one dict: adding a format is one module + one entry.

Each module implements the `Format` protocol — `render(result: CheckResult) -> str` — and
renders nothing but the `CheckResult` it is given (no files read, no environment looked
at), so every format can be tested from hand-built results. Shared ordering and the
summary wording live in `common`, so all formats agree on them.
"""

from __future__ import annotations

from typing import Protocol

from quantmatrix.policy.findings import CheckResult
from quantmatrix.policy.formats import github, json, junit, markdown, sarif, text


class Format(Protocol):
    def render(self, result: CheckResult) -> str: ...


FORMATS: dict[str, Format] = {
    "text": text,
    "json": json,
    "junit": junit,
    "sarif": sarif,
    "github": github,
    "markdown": markdown,
}
