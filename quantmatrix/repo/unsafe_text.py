"""Characters a manifest has no business containing, in one definition.

A value or a name holding a terminal escape (`ESC ] 0 ; … BEL`), a bidi override (U+202E) or
a zero-width character can rewrite what a reviewer sees on a terminal, in a CI log or in a
pull-request comment, and make two different names look equal. The loader refuses them in
every string value, mapping key and file name, and in policy files.

Refused: every Unicode control (Cc: C0, DEL, C1), format (Cf: bidi embeddings, overrides and
isolates, zero-width spaces and joiners, the BOM inside text, invisible operators, tag
characters), surrogate (Cs), and the line and paragraph separators U+2028/U+2029 — except
TAB and LF inside values, which multi-line descriptions legitimately hold. Keys and names
refuse TAB and LF too. The ranges are written out (a scan of the Unicode database at import
would cost every command 0.1 s); tests/adversarial/test_control_characters.py checks them
against `unicodedata`.
"""

from __future__ import annotations

import re
import unicodedata

# Cc, Cf, Cs, Zl and Zp as of Unicode 15 (Python 3.11 ships 14.0; U+13430–U+1343F are 15.0).
_REST = (
    "\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
UNSAFE_IN_NAME = re.compile(f"[\x00-\x1f{_REST}]")
UNSAFE_IN_VALUE = re.compile(f"[\x00-\x08\x0b-\x1f{_REST}]")  # TAB (x09) and LF (x0a) allowed


def first_unsafe(text: str, *, value: bool = True) -> int:
    """Index of the first refused character of `text` (TAB and LF allowed when `value`), or -1."""
    if text.isprintable():  # the common case: every refused character is unprintable
        return -1
    found = (UNSAFE_IN_VALUE if value else UNSAFE_IN_NAME).search(text)
    return found.start() if found else -1


def describe(char: str) -> str:
    """`U+202E (RIGHT-TO-LEFT OVERRIDE)`: how a refused character is named in a message."""
    name = unicodedata.name(char, "")
    if not name:
        name = {
            "\x1b": "ESC",
            "\x00": "NUL",
            "\x7f": "DEL",
            "\r": "CARRIAGE RETURN",
            "\n": "LINE FEED",
            "\t": "TAB",
        }.get(char, "control character")
    return f"U+{ord(char):04X} ({name})"


def escape(text: str) -> str:
    """`text` with every refused character (TAB and LF included) written as `\\xNN`/`\\uNNNN`,
    so that a name can be shown in a message without acting on the terminal."""
    return UNSAFE_IN_NAME.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text.replace("\\", "\\\\"))
