"""Scalars resolved by the YAML 1.2 core schema, with numbers bounded.

`yes`/`no`/`on`/`off` are strings, dates stay strings (the models parse them), and numbers
are refused where the rest of the system could not carry them: integers outside the signed
64-bit range (the digits' length is checked before Python converts them: it refuses more
than 4,300 decimal digits and is quadratic below that) and floats that overflow to infinity
resolve to an `OutOfRange` marker, which the YAML builder reports at the scalar's location.
"""

from __future__ import annotations

import math
import re
from typing import Any

from quantmatrix.repo.unsafe_text import escape

# Integers must fit a signed 64-bit word: JSON consumers, the policy engines and the database
# all carry that much, and Python's int <-> str conversion refuses more than 4,300 digits.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
_MAX_INT_DIGITS = 20  # longer (leading zeros aside) is out of range in any base we read

TAG = "tag:yaml.org,2002:"
WORDS: dict[str, Any] = {
    "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
}  # fmt: skip
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NON_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
NUMBER_START = frozenset("0123456789+-.")
_MISSING = object()


class OutOfRange:
    """A number literal too large to carry: resolved to this instead of a value."""

    def __init__(self, message: str):
        self.message = message


_INT_OUT_OF_RANGE = OutOfRange("integer out of range: whole numbers must lie between -2^63 and 2^63-1")
_FLOAT_OUT_OF_RANGE = OutOfRange("number out of range: its magnitude exceeds what a 64-bit float holds (about 1.8e308)")

# what the value of a scalar with an explicit core-schema tag must be
_TAG_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}


def short_tag(tag: str) -> str:
    """`!!int` for the core tags; any other tag escaped, as libyaml decodes `%1B` in a tag."""
    return escape(tag.replace(TAG, "!!"))


def plain(text: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
    if not text:
        return None
    word = WORDS.get(text, _MISSING)
    if word is not _MISSING:
        return word
    if text[0] in NUMBER_START:
        if _INT.fullmatch(text):
            return (
                int(text) if len(text) <= 18 and text[1:2] not in ("o", "x") else _int(text)
            )  # 18 characters always fit
        if _FLOAT.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else _FLOAT_OUT_OF_RANGE
        if _NON_FINITE.fullmatch(text):
            return math.nan
    return text


def _int(text: str) -> int | OutOfRange:
    """An integer literal's value, if it fits 64 bits. The length is checked first: Python
    refuses to convert more than 4,300 decimal digits and takes quadratic time below that."""
    based = text[:2] in ("0o", "0x")
    digits = text[2:] if based else text.lstrip("+-")
    if len(digits.lstrip("0")) > _MAX_INT_DIGITS:
        return _INT_OUT_OF_RANGE
    value = int(text, 0) if based else int(text)
    return value if MIN_INT <= value <= MAX_INT else _INT_OUT_OF_RANGE


def resolve_scalar(event: Any) -> tuple[Any, str | None]:
    """The value of a scalar event, and a problem with it if any."""
    tag, text = event.tag, event.value
    if tag is None:
        value = plain(text) if event.implicit[0] else text
    elif tag == "!" or tag == TAG + "str":
        value = text
    elif tag in (TAG + "int", TAG + "float", TAG + "bool", TAG + "null"):
        value = plain(text)
        if type(value) is OutOfRange:
            return None, value.message
        expected = _TAG_TYPES[tag[len(TAG) :]]
        if not isinstance(value, expected) or (tag.endswith("int") and isinstance(value, bool)):
            return None, f"value does not match its tag {short_tag(tag)}"
        if tag.endswith("float") and isinstance(value, int):  # !!float 3 is 3.0 (a float stays as it is)
            value = float(value)
    else:
        return None, f"unsupported YAML tag {short_tag(tag)}"
    if type(value) is OutOfRange:
        return None, value.message
    if isinstance(value, float) and not math.isfinite(value):
        return None, "infinity and NaN are not allowed; write a finite number"
    return value, None
