"""Parse one YAML file into plain data plus the line/column of every value.

We read the *event* stream of ruamel.yaml's C parser (libyaml: positions on every event,
no recursion) and build plain Python data ourselves with an explicit stack. Composing nodes
instead would recurse in C and crash the process on deeply nested input, and would expand
aliases before we could refuse them. Hostile input is refused here, once, with a location:

- files over `MAX_FILE_BYTES`, binary content, bytes that are not UTF-8;
- control, format and bidi characters in any string value or key (`unsafe_text`: TAB and
  LF are allowed in values), whether written raw or as a double-quoted escape;
- numbers the rest of the system cannot carry: integers outside the signed 64-bit range
  (checked on the digits' length before Python converts them, so a 5,000-digit literal
  costs nothing) and floats that overflow to infinity (`scalars`);
- more than one document, an empty document, a top level that is not a mapping;
- duplicate keys, keys that are not strings, anchors and aliases (no "billion laughs":
  layering is the way to share values), merge keys, tags other than the core schema,
  nesting deeper than `MAX_DEPTH` (parsing stops there), infinities and NaN.

Each problem is reported at the file, line and column of the offending scalar (for a refused
character written raw, of the character itself).

Scalars resolve by the YAML 1.2 core schema only (`scalars.py`): `yes`/`no`/`on`/`off` are
strings, dates stay strings (the models parse them) and the data stays JSON-compatible for
the policy engines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.reader import ReaderError

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.scalars import NUMBER_START, TAG, WORDS, OutOfRange, plain, resolve_scalar, short_tag
from quantmatrix.repo.unsafe_text import describe, first_unsafe
from quantmatrix.state.document import Path, YamlDocument, dotted

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "Path", "YamlDocument", "dotted", "parse_yaml"]

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: the largest sane manifest is a few KiB
MAX_DEPTH = 32  # the deepest sample path is 6 levels
MAX_PROBLEMS_PER_FILE = 50  # binary junk would otherwise print thousands of lines

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what libyaml counts as a new line
_ALIAS_HINT = "anchors and aliases are not allowed (share values through the _base layer)"


class _Stop(Exception):
    """Parsing cannot usefully go on (too deep, too many problems, a second document)."""


_NO_KEY = object()  # a mapping waits for its next key
_SKIP = object()  # the key was refused: parse its value, keep none of it


class _Builder:
    """Turns parser events into data and positions, collecting problems as it goes."""

    def __init__(self, file: str, text: str = ""):
        self.file = file
        self.text = text
        self._lines: list[str] | None = None
        self.positions: dict[Path, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        # one frame per open collection: [container, path (None when discarded), pending key]
        self.stack: list[list[Any]] = []
        self.root: Any = None
        self.root_mark: Any = None
        self.documents = 0

    def problem(self, mark: Any, message: str, path: Path | None = None) -> None:
        if path is None:
            path = next((f[1] for f in reversed(self.stack) if f[1] is not None), ())
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, dotted(path), message))
        if len(self.problems) >= MAX_PROBLEMS_PER_FILE:
            self.problems.append(
                Problem(self.file, mark.line + 1, mark.column + 1, "", "too many problems; stopped reading this file")
            )
            raise _Stop

    def feed(self, next_event: Callable[[], Any]) -> None:
        """Consume events from `next_event` up to the end of the stream."""
        stack, positions = self.stack, self.positions
        while True:
            event = next_event()
            kind = type(event)
            if kind is ScalarEvent:
                # Fast path (most events): an untagged, unanchored scalar inside a collection.
                # Same result as `self.scalar`, without its calls (bench/README.md).
                if not stack or event.tag is not None or event.anchor is not None:
                    self.scalar(event)
                    continue
                value = event.value
                if not event.style and (not value or value[0] in NUMBER_START or value in WORDS):
                    value = plain(value)  # null, bool or number
                    if type(value) is OutOfRange or (type(value) is float and not math.isfinite(value)):
                        self.scalar(event)
                        continue
                if type(value) is str and not value.isprintable():
                    self.scalar(event)  # may hold a refused character (all are unprintable): the slow path checks
                    continue
                frame = stack[-1]
                container, parent, key = frame
                mark = event.start_mark
                if type(container) is dict:
                    if key is _NO_KEY:
                        if parent is None or type(value) is not str or value == "<<" or value in container:
                            self.key(value, type(value) is str, mark)
                        else:
                            positions[parent + (value,)] = (mark.line + 1, mark.column + 1)
                            frame[2] = value
                        continue
                    frame[2] = _NO_KEY
                    if parent is not None and key is not _SKIP:
                        container[key] = value
                else:
                    container.append(value)
                    if parent is not None:
                        positions[parent + (len(container) - 1,)] = (mark.line + 1, mark.column + 1)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.start(event, {} if kind is MappingStartEvent else [])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self.stack.pop()
            elif kind is AliasEvent:
                self.problem(event.start_mark, _ALIAS_HINT, self.place(None, event.start_mark))
            elif kind is DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.problem(event.start_mark, "more than one YAML document; put one document per file", ())
                    raise _Stop
            elif kind is StreamEndEvent:
                return

    def awaiting_key(self) -> bool:
        return bool(self.stack) and self.stack[-1][2] is _NO_KEY and isinstance(self.stack[-1][0], dict)

    def place(self, value: Any, mark: Any) -> Path | None:
        """Put a value where the parser is: root, list item or mapping value; return its path."""
        mark_pos = (mark.line + 1, mark.column + 1)
        if not self.stack:
            self.root, self.root_mark = value, mark
            self.positions[()] = mark_pos
            return ()
        frame = self.stack[-1]
        container: list[Any] | dict[Any, Any] = frame[0]
        parent: Path | None = frame[1]
        if isinstance(container, list):
            container.append(value)
            if parent is None:
                return None
            path = parent + (len(container) - 1,)
            self.positions[path] = mark_pos
            return path
        key, frame[2] = frame[2], _NO_KEY
        if parent is None or key is _SKIP:
            return None
        container[key] = value
        return parent + (key,)

    def key(self, value: Any, is_string: bool, mark: Any) -> None:
        frame = self.stack[-1]
        container, parent = frame[0], frame[1]
        frame[2] = _SKIP
        if parent is None:
            return
        if not is_string:
            self.problem(mark, "keys must be strings", parent)
        elif value == "<<":
            self.problem(mark, "merge keys (<<) are not allowed (share values through the _base layer)", parent)
        elif value in container:
            first = self.positions[parent + (value,)][0]
            self.problem(mark, f"duplicate key '{value}' (first defined at line {first})", parent + (value,))
        else:
            self.positions[parent + (value,)] = (mark.line + 1, mark.column + 1)
            frame[2] = value

    def start(self, event: Any, container: dict[str, Any] | list[Any]) -> None:
        mark = event.start_mark
        if len(self.stack) >= MAX_DEPTH:
            self.problem(mark, f"nesting deeper than {MAX_DEPTH} levels")
            raise _Stop
        if self.awaiting_key():
            self.key(None, False, mark)
            path = None
        else:
            path = self.place(container, mark)
        if event.anchor is not None:
            self.problem(mark, _ALIAS_HINT, path)
        wanted = "map" if isinstance(container, dict) else "seq"
        if event.tag is not None and event.tag not in ("!", TAG + wanted):
            self.problem(mark, f"unsupported YAML tag {short_tag(event.tag)}", path)
        self.stack.append([container, path, _NO_KEY])

    def scalar(self, event: Any) -> None:
        mark = event.start_mark
        value, error = resolve_scalar(event)
        is_key = self.awaiting_key()
        if error is None and isinstance(value, str):
            at = first_unsafe(value, value=not is_key)
            if at >= 0:
                what = "a key" if is_key else "a value"
                error = f"{describe(value[at])} is not allowed in {what} (control, format and bidi characters can hide or spoof text)"
                mark = self.mark_of(value[at], event) or mark
                value = None
        if is_key and error is not None:
            self.stack[-1][2] = _SKIP  # the refused key's value is parsed and dropped
            path = None
        elif is_key:
            self.key(value, isinstance(value, str), mark)
            path = None
        else:
            path = self.place(value, event.start_mark)
        if event.anchor is not None:
            self.problem(mark, _ALIAS_HINT, path)
        if error is not None:
            self.problem(mark, error, path)

    def mark_of(self, char: str, event: Any) -> Any:
        """Where `char` is written in the scalar of `event` (None if it came from an escape)."""
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self.text)
        start, end = event.start_mark, event.end_mark
        for line in range(start.line, min(end.line, len(self._lines) - 1) + 1):
            col = self._lines[line].find(char, start.column if line == start.line else 0)
            if col >= 0:
                return _Mark(line, col)
        return None


@dataclass(frozen=True)
class _Mark:
    line: int  # 0-based, as the parser's marks
    column: int


def decode(file: str, raw: bytes) -> str:
    """Bytes → text, refusing what is not a small UTF-8 text file."""
    if len(raw) > MAX_FILE_BYTES:
        line = raw.count(b"\n", 0, MAX_FILE_BYTES) + 1  # where the limit is crossed
        raise ConfigError(
            Problem(file, line, 1, message=f"file is larger than the {MAX_FILE_BYTES:,}-byte (1 MiB) limit")
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ConfigError(Problem(file, line, 1, message="binary content (NUL bytes); expected a UTF-8 YAML file"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(Problem(file, line, col, message=f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")) from None


def _event_source(text: str) -> tuple[Callable[[], Any], Callable[[], None]]:
    """`get_event` and `dispose` of a parser over `text`: libyaml's when available (ten times
    faster than the pure-Python parser), called directly rather than through a generator."""
    try:
        from _ruamel_yaml import CParser
    except ImportError:  # pragma: no cover - C extension missing: correct, only slower
        from ruamel.yaml import YAML

        return iter(YAML(typ="safe", pure=True).parse(text)).__next__, lambda: None
    parser = CParser(text)
    return parser.get_event, parser.dispose


def _syntax_problem(file: str, text: str, exc: Exception) -> Problem:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = str(exc.problem or exc.context or "invalid YAML")
        if exc.context and exc.problem:
            started = exc.context_mark
            where = f" started at line {started.line + 1}" if started and started.line + 1 != line else ""
            message = f"{exc.problem} ({exc.context}{where})"
        if mark and text[mark.index : mark.index + 1] == "\t":
            message = "tab character: YAML indentation must use spaces"
        return Problem(file, line, col, message=f"YAML syntax error: {message}")
    if isinstance(exc, ReaderError):  # the C reader counts UTF-8 bytes
        raw = text.encode("utf-8")
        pos = min(max(exc.position, 0), len(raw))
        line = raw.count(b"\n", 0, pos) + 1
        col = len(raw[raw.rfind(b"\n", 0, pos) + 1 : pos].decode("utf-8", "replace")) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return Problem(file, line, col, message=f"unacceptable character #x{code:04x}: {exc.reason}")
    return Problem(file, message=f"YAML syntax error: {exc}")


def parse_yaml(file: str, raw: bytes) -> YamlDocument:
    """Parse `raw` (the contents of `file`) into a `YamlDocument`, or raise `ConfigError`."""
    text = decode(file, raw)
    builder = _Builder(file, text)
    next_event, dispose = _event_source(text)
    try:
        builder.feed(next_event)
    except _Stop:
        pass
    except (YAMLError, ValueError) as exc:
        builder.problems.append(_syntax_problem(file, text, exc))
    finally:
        dispose()
    if builder.problems:
        raise ConfigError(builder.problems)
    root = builder.root
    if root is None:
        raise ConfigError(
            Problem(file, 1, 1, message="file is empty; expected a mapping with apiVersion, kind, metadata, spec")
        )
    if not isinstance(root, dict):
        kind = "a list" if isinstance(root, list) else "a scalar"
        mark = builder.root_mark
        raise ConfigError(
            Problem(file, mark.line + 1, mark.column + 1, message=f"top level is {kind}; expected a mapping")
        )
    return YamlDocument(file, root, builder.positions)
