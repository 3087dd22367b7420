"""Markdown (GitHub-flavoured, CommonMark underneath) that a value cannot escape from.

A value goes either into a code span — fenced with more backticks than any run inside it
(CommonMark: a span ends at a backtick run of the same length as its opener), so `<img>`,
`**APPROVED**` and `@team` stay literal code — or into prose, HTML-escaped, with every
markdown punctuation character backslash-escaped and mentions broken. Both are one line with
table pipes escaped, secrets redacted and control characters made visible.
"""

from __future__ import annotations

import html
import re

from quantmatrix.render.inert import one_line

_BACKTICKS = re.compile(r"`+")
# What starts inline markup in a cell or a heading (emphasis, code, links, images,
# strikethrough, table pipes); `<` and `&` are html.escape's. Backslash-escaped (CommonMark).
# An underscore between two letters or digits can neither open nor close emphasis: kept.
_PUNCTUATION = re.compile(r"([\\`*\[\]!~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def code_span(value: str) -> str:
    """`value` as an inline code span for a table cell: inert markdown, pipes escaped."""
    value = one_line(value).replace("|", "\\|").replace("<!--", "<\u200b!--")  # no fake summary marker
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space at each end when both are there: pad so the value survives
    pad = " " if value[:1] in ("`", " ") or value[-1:] in ("`", " ") or not value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def prose(value: str) -> str:
    """`value` as plain text in a paragraph or a table cell: no HTML, no emphasis, no links,
    no headings or lists, no table breaks, no @-mentions, no hidden-comment marker."""
    text = html.escape(one_line(value), quote=False)
    text = _PUNCTUATION.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table of cells already made inert (`code_span`, `prose`, or our own markup)."""
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
