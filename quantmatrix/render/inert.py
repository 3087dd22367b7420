"""Values made inert for printing: no control sequence, no bidi override, no secret.

A value from YAML, git or a rule message may hold `\\x1b]0;title\\x07`, `\\x1b[2J`, U+202E
(which reverses what a reviewer reads) or NUL. Printed raw, they retitle or clear the
terminal, reorder a line, or forge a line of their own. Here they become visible escapes:
C0 controls as `\\x1b`, everything else (DEL, C1, bidi and line separators) as `\\u202e` —
both valid inside JSON and XML text, so the structured formats stay parseable.
"""

from __future__ import annotations

import re
from typing import Any

from quantmatrix.redaction import redact_text

# Beyond C0: DEL, C1, the Arabic letter mark, LRM/RLM, line/paragraph separators, the bidi
# embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069), the zero-width no-break.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# Multi-line text keeps newlines and tabs; the terminal net also keeps the SGR colour codes
# that `style` adds (`\x1b[1;31m`).
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f{_BEYOND_C0}]")
# What a value in a manifest may not hold (the loader refuses it): the same set.
UNSAFE_IN_TEXT = _UNSAFE_MULTILINE
_UNSAFE_BUT_COLOUR = re.compile(f"\x1b\\[[0-9;]*m|[\x00-\x08\x0b-\x1f{_BEYOND_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}")


def escape_controls(text: str, keep: str = "") -> str:
    """Every unsafe character, newlines and tabs included, as a visible escape (one line);
    `keep`: characters left as they are, for a caller that encodes them itself."""
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _visible(m.group()), text)


def has_unsafe(text: str) -> bool:
    return bool(_UNSAFE.search(text))


def one_line(text: str) -> str:
    """A value for a one-line slot (a message, a cell, a name): redacted, then escaped."""
    return escape_controls(redact_text(text))


def multiline(text: str) -> str:
    """Multi-line text (a report body): redacted, unsafe characters escaped but newlines and
    tabs."""
    return _UNSAFE_MULTILINE.sub(lambda m: _visible(m.group()), redact_text(text))


def inert_strings(value: Any) -> Any:
    """Every string of a JSON-like document (keys too) through `multiline`: what a consumer
    of the JSON decodes is visible text (`\\x1b`), not the raw character."""
    if isinstance(value, str):
        return multiline(value)
    if isinstance(value, dict):
        return {inert_strings(k): inert_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inert_strings(v) for v in value]
    return value


def inert(text: str) -> str:
    """The terminal's net over whole output: `multiline`, keeping the SGR colour codes
    (`\\x1b[1;31m`) that `style` produces around text it has escaped itself."""
    return _UNSAFE_BUT_COLOUR.sub(lambda m: m.group() if len(m.group()) > 1 else _visible(m.group()), redact_text(text))
