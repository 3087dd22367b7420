"""Showing a desired-state value in a diff: short, readable, and never a secret.

The desired state holds secret *references* only (`{secret: NAME}`, shown by name), but a
free-form field (strategy params, scanner params) could still carry a pasted token: the
policy pack denies that, and the diff — which ends up in a PR comment — redacts anything
that looks like one instead of repeating it, with the gate's own detectors
(quantmatrix/redaction.py): keys and values, and whatever a credential-named key holds.
"""

from __future__ import annotations

from typing import Any

from quantmatrix.diff.model import Change
from quantmatrix.redaction import is_credential_key, redact_field, redact_text
from quantmatrix.repo.references import is_secret_ref

NOTHING = "—"


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else repr(value)


def show(value: Any, key: str = "") -> str:
    """One-line text of `value`; `key` is the field it sits under (a credential-named key
    redacts every literal it holds)."""
    return _text(redact_field(key, value))


def _text(value: Any) -> str:
    if value is None:
        return NOTHING
    if is_secret_ref(value):
        return f"{{secret: {value['secret']}}}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    return redact_text(str(value))


def relative(change: Change) -> str:
    """ "+33.3%" for a numeric change, "" otherwise."""
    ratio = change.relative
    return "" if ratio is None else f"{ratio * 100:+.1f}%"


def field_key(path: tuple[object, ...]) -> str:
    """The key a value is judged under: the first credential-named key on its path (the diff
    reports `db_password.v`, a leaf of `db_password: {v: [...]}`), else its own key."""
    named = next((str(p) for p in path if is_credential_key(p)), None)
    return named if named is not None else (str(path[-1]) if path else "")


def old_new(change: Change) -> tuple[str, str]:
    key = field_key(change.path)
    return show(change.old, key), show(change.new, key)


def redacted(value: Any, key: str = "") -> Any:
    """`value` with secret-looking strings replaced (types kept otherwise), for JSON output;
    `key` is the field it sits under (a credential-named key redacts every literal in it)."""
    return redact_field(key, value)
