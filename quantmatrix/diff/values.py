"""Showing a desired-state value in a diff: short, readable, and never a secret.

The desired state holds secret *references* only (`{secret: NAME}`, shown by name), but a
free-form field (strategy params, scanner params) could still carry a pasted token: the
policy pack denies that, and the diff — which ends up in a PR comment — redacts anything
that looks like one instead of repeating it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from quantmatrix.repo.references import is_secret_ref
from quantmatrix.diff.model import Change

NOTHING = "—"
REDACTED = "<redacted>"

_SECRET_KEY = re.compile(r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth)", re.IGNORECASE)
_URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_\-]{32,}$")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_secret(value: str) -> bool:
    """A URL with a password, or a long high-entropy token mixing lower case, upper case and
    digits (the shape of API keys; identifiers such as migration ids are lower case)."""
    if _URL_WITH_PASSWORD.search(value):
        return True
    classes = all(re.search(c, value) for c in ("[a-z]", "[A-Z]", "[0-9]"))
    return bool(_TOKEN.match(value) and classes and _entropy(value) >= 3.5)


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else repr(value)


def show(value: Any, key: str = "") -> str:
    """One-line text of `value`; `key` is the field it sits under (secret-ish keys redact)."""
    if value is None:
        return NOTHING
    if is_secret_ref(value):
        return f"{{secret: {value['secret']}}}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        if looks_secret(value) or (key and _SECRET_KEY.search(key)):
            return REDACTED
        return value
    if isinstance(value, list):
        return "[" + ", ".join(show(v, key) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, str(k))}" for k, v in value.items()) + "}"
    return str(value)


def relative(change: Change) -> str:
    """"+33.3%" for a numeric change, "" otherwise."""
    ratio = change.relative
    return "" if ratio is None else f"{ratio * 100:+.1f}%"


def old_new(change: Change) -> tuple[str, str]:
    return show(change.old, change.key), show(change.new, change.key)


def redacted(value: Any, key: str = "") -> Any:
    """`value` with secret-looking strings replaced (types kept otherwise), for JSON output."""
    if is_secret_ref(value):
        return value
    if isinstance(value, dict):
        return {k: redacted(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v, key) for v in value]
    if isinstance(value, str) and (looks_secret(value) or (key and _SECRET_KEY.search(key))):
        return REDACTED
    return value
