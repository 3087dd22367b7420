"""Values made inert for printing: no control sequence, no bidi override, no secret.

A value from YAML, git or a rule message may hold `\\x1b]0;title\\x07`, `\\x1b[2J`, U+202E
(which reverses what a reviewer reads) or NUL. Printed raw, they retitle or clear the
terminal, reorder a line, or forge a line of their own. Which characters are unsafe has one
definition, the loader's (`quantmatrix/repo/unsafe_text.py`: every control, format and bidi
character, surrogates, line and paragraph separators). Here they become visible escapes:
C0 controls as `\\x1b`, others as `\\u202e` (`\\U000e0001` beyond the BMP) — valid inside
JSON and XML text, so the structured formats stay parseable.
"""

from __future__ import annotations

import re
from typing import Any

from quantmatrix.redaction import redact_text
from quantmatrix.repo.unsafe_text import UNSAFE_IN_NAME, UNSAFE_IN_VALUE

# One line (names, cells, messages): every unsafe character, TAB and LF included.
_UNSAFE = UNSAFE_IN_NAME
# Multi-line text keeps LF and TAB; the terminal net also keeps the SGR colour codes that
# `style` adds (`\x1b[1;31m`).
_UNSAFE_MULTILINE = UNSAFE_IN_VALUE
_UNSAFE_BUT_COLOUR = re.compile(f"\x1b\\[[0-9;]*m|{UNSAFE_IN_VALUE.pattern}")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_controls(text: str, keep: str = "") -> str:
    """Every unsafe character, newlines and tabs included, as a visible escape (one line);
    `keep`: characters left as they are, for a caller that encodes them itself."""
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _visible(m.group()), text)


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
