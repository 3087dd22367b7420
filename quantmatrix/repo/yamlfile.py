"""Parse one YAML file into plain data plus the line/column of every value.

We compose nodes with ruamel.yaml's C parser (positions come with every node, and it is
about ten times faster than the round-trip loader) and build plain Python data ourselves,
so that hostile input is refused here, once, with a location:

- files over `MAX_FILE_BYTES`, binary content, bytes that are not UTF-8;
- more than one document, an empty document, a top level that is not a mapping;
- duplicate keys, keys that are not strings, anchors/aliases (no "billion laughs": layering
  is the way to share values), tags other than the core schema, nesting deeper than
  `MAX_DEPTH`.

Timestamps stay strings: the models parse dates, and the data stays JSON-compatible for
the policy engines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from quantmatrix.errors import ConfigError, Problem

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: the largest sane manifest is a few KiB
MAX_DEPTH = 32

Path = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"true", "True", "TRUE"}
_FALSES = {"false", "False", "FALSE"}


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file. `positions` maps a path into `data` to its 1-based (line, col):
    for a mapping entry the position of its key, for a list item the item's."""

    file: str
    data: dict[str, Any]
    positions: dict[Path, tuple[int, int]]

    def position(self, path: Path) -> tuple[int, int]:
        """Position of `path`, or of its nearest ancestor that has one."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))


def _yaml() -> YAML:
    try:
        return YAML(typ="safe", pure=False)
    except Exception:  # pragma: no cover - C extension missing: correct, only slower
        return YAML(typ="safe", pure=True)


_PARSER = _yaml()


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[Path, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.seen: set[int] = set()

    def problem(self, node: Node, message: str, path: Path = ()) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, dotted(path), message))

    def build(self, node: Node, path: Path, depth: int) -> Any:
        if id(node) in self.seen:
            self.problem(node, "anchors and aliases are not allowed (share values through the _base layer)", path)
            return None
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            self.problem(node, f"nesting deeper than {MAX_DEPTH} levels", path)
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.positions[path + (i,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(self.build(item, path + (i,), depth + 1))
            return items
        return self.scalar(node, path)

    def mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.problem(key_node, "merge keys (<<) are not allowed (share values through the _base layer)", path)
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _TAG + "str":
                self.problem(key_node, "keys must be strings", path)
                continue
            key = key_node.value
            if key in first_line:
                self.problem(key_node, f"duplicate key '{key}' (first defined at line {first_line[key]})", path + (key,))
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out

    def scalar(self, node: Node, path: Path) -> Any:
        tag, value = node.tag, node.value
        if tag == _TAG + "str" or tag == _TAG + "timestamp":
            return value
        if tag == _TAG + "int":
            return _to_int(value)
        if tag == _TAG + "float":
            return _to_float(value)
        if tag == _TAG + "bool":
            return value in _TRUES
        if tag == _TAG + "null":
            return None
        self.problem(node, f"unsupported YAML tag {tag.replace(_TAG, '!!')}", path)
        return None


def _to_int(text: str) -> int:
    text = text.replace("_", "")
    try:
        return int(text, 10)
    except ValueError:
        return int(text, 0)  # 0x1F, 0o17


def _to_float(text: str) -> float:
    low = text.replace("_", "").lower()
    if low in (".inf", "+.inf"):
        return math.inf
    if low == "-.inf":
        return -math.inf
    if low == ".nan":
        return math.nan
    return float(low)


def dotted(path: Path) -> str:
    """`("spec", "strategies", 2, "version")` → `spec.strategies[2].version`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def decode(file: str, raw: bytes) -> str:
    """Bytes → text, refusing what is not a small UTF-8 text file."""
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(Problem(file, message=f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}"))
    if b"\x00" in raw:
        raise ConfigError(Problem(file, message="binary content (NUL bytes); expected a UTF-8 YAML file"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(Problem(file, line, col, message=f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")) from None


def parse_yaml(file: str, raw: bytes) -> YamlDocument:
    """Parse `raw` (the contents of `file`) into a `YamlDocument`, or raise `ConfigError`."""
    text = decode(file, raw)
    try:
        root = _PARSER.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        if "expected a single document" in message:
            message = "more than one YAML document; put one document per file"
        raise ConfigError(Problem(file, line, col, message=f"YAML syntax error: {message}")) from None
    except (YAMLError, ValueError, RecursionError) as exc:
        raise ConfigError(Problem(file, message=f"YAML syntax error: {exc}")) from None
    if root is None:
        raise ConfigError(Problem(file, 1, 1, message="file is empty; expected a mapping with apiVersion, kind, metadata, spec"))
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a scalar"
        mark = root.start_mark
        raise ConfigError(Problem(file, mark.line + 1, mark.column + 1, message=f"top level is {kind}; expected a mapping"))
    builder = _Builder(file)
    data = builder.build(root, (), 0)
    if builder.problems:
        raise ConfigError(builder.problems)
    builder.positions[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    return YamlDocument(file, data, builder.positions)
