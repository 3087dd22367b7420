"""STAND-IN (branch runtime-drivers) for the detectors of branch harden-output: same API."""

from __future__ import annotations

import re
from typing import Any

from quantmatrix.diff.values import looks_secret as _looks

_URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)([^/\s@]+)(@)")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{32,}")


def secret_kinds(text: str) -> frozenset[str]:
    kinds = set()
    if _URL_PASSWORD.search(text):
        kinds.add("url_password")
    if any(_looks(m.group(0)) for m in _TOKEN.finditer(text)):
        kinds.add("token")
    return frozenset(kinds)


def looks_secret(text: str) -> bool:
    return bool(secret_kinds(text))


def redact_text(text: str) -> str:
    text = _URL_PASSWORD.sub(r"\1<redacted>\3", text)
    return _TOKEN.sub(lambda m: "<redacted>" if _looks(m.group(0)) else m.group(0), text)


def redact_value(obj: Any) -> Any:
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, dict):
        return {k: redact_value(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact_value(v) for v in obj]
    return obj
