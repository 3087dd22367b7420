"""Read the mode banner out of the UI's HTML (`<... id="mode-banner" data-mode="...">TEXT<`)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Banner:
    text: str
    mode: str | None  # its data-mode attribute, if any


class _BannerParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 while inside the banner element
        self.text: list[str] = []
        self.mode: str | None = None
        self.found = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == "mode-banner":
            self.found += 1
            self.depth, self.mode = 1, dict(attrs).get("data-mode")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.found == 1:
            self.text.append(data)


def find_banner(page: str) -> Banner | None:
    """The one banner of the page; None when there is none, or more than one (ambiguous)."""
    parser = _BannerParser()
    parser.feed(page)
    parser.close()
    if parser.found != 1:
        return None
    return Banner(" ".join("".join(parser.text).split()), parser.mode)


class _IdCounter(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.element_id, self.count = element_id, 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if dict(attrs).get("id") == self.element_id:
            self.count += 1


def count_elements(page: str, element_id: str) -> int:
    """How many elements of the page carry this id."""
    parser = _IdCounter(element_id)
    parser.feed(page)
    parser.close()
    return parser.count
