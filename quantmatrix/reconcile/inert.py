"""Stored or typed text made visible before it is printed: the policy formats' `one_line`
(C0 and C1 controls as `\\x1b`) plus the characters it leaves that reorder or split what a
reader sees — bidi embeddings, overrides and isolates, marks, line and paragraph separators,
the zero-width no-break space — as `\\u202e`. (The `harden-output` branch brings one home for
this, `quantmatrix/render/inert.py`; this module is the stand-in until it lands.)"""

from __future__ import annotations

import re

from quantmatrix.policy.formats.common import one_line

_BIDI = re.compile("[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: str) -> str:
    """`text` on one line with every control, bidi and separator character escaped."""
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", one_line(text))
