"""Editing YAML files that people wrote, without reformatting them.

`qm release new` and `qm promote` change a few values in files engineers maintain by hand.
ruamel.yaml's round-trip mode keeps comments, key order, flow/block style and quoting; we
add what it does not guess: the file's own indentation (mapping indent, sequence indent and
dash offset, detected from the text — ruamel's guesser reads them from the first sequence
only), no line re-wrapping, `null` written as `null`, and an edited scalar keeping the
quoting style of the value it replaces.

ruamel reads and writes LF text without a BOM. So the file's layout is taken off before
parsing and put back after: `keep_layout` lines the edited text up against the original
and copies every unchanged line byte for byte (its own line ending included), gives new
lines the file's dominant line ending, keeps a UTF-8 BOM and the presence or absence of the
final newline. Tests assert the result is byte-identical to the original apart from the
edited lines, on LF, CRLF and BOM files.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from quantmatrix.errors import ConfigError, Problem

_NO_WRAP = 4096
_BOM = "\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # a line and its own ending


def _lines(text: str) -> list[str]:
    return _LINE.findall(text)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _newline(lines: list[str]) -> str:
    """The line ending most lines of the file use (LF for a file of one unended line)."""
    endings = [_ending(line) for line in lines if _ending(line)]
    return max(("\n", "\r\n", "\r"), key=endings.count) if endings else "\n"


def plain_text(text: str) -> str:
    """What ruamel should read: no BOM, LF line endings."""
    text = text.removeprefix(_BOM)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def keep_layout(original: str, edited: str) -> str:
    """`edited` (LF, no BOM, as ruamel writes it) in the layout of `original`: unchanged
    lines byte for byte, a line rewritten in place with its own ending, new ones with the
    dominant ending, BOM and final newline kept."""
    bom = original.startswith(_BOM)
    old = _lines(original.removeprefix(_BOM))
    new = _lines(edited.removeprefix(_BOM))
    newline = _newline(old)
    old_keys = [line.rstrip("\r\n") for line in old]
    new_keys = [line.rstrip("\r\n") for line in new]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(old[i1:i2])
        elif i2 - i1 == j2 - j1:  # lines rewritten in place keep their own endings
            out.extend(key + (_ending(line) or newline) for key, line in zip(new_keys[j1:j2], old[i1:i2]))
        else:
            out.extend(key + newline for key in new_keys[j1:j2])
    out = [line if _ending(line) else line + newline for line in out]  # a line that stopped being last
    if out and old and not _ending(old[-1]):
        out[-1] = out[-1].rstrip("\r\n")  # the original had no final newline: neither has the edit
    return (_BOM if bom else "") + "".join(out)


@dataclass(frozen=True)
class Indent:
    mapping: int = 2
    sequence: int = 2  # column of an item's content relative to its parent key
    offset: int = 0  # column of the dash relative to its parent key


def _content_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def detect_indent(text: str) -> Indent:
    """The indentation the file uses: the first nested mapping gives `mapping`, the first
    block sequence under a key gives `offset` (dash) and `sequence` (item content)."""
    mapping = sequence = offset = None
    lines = _content_lines(text)
    for parent, child in zip(lines, lines[1:]):
        if not parent.rstrip().endswith(":"):
            continue
        at_parent = len(parent) - len(parent.lstrip())
        at_child = len(child) - len(child.lstrip())
        item = child.lstrip()
        if item.startswith("- ") and offset is None:
            offset = at_child - at_parent
            after_dash = item[1:]
            sequence = offset + 1 + (len(after_dash) - len(after_dash.lstrip()))
        elif mapping is None and at_child > at_parent and not item.startswith("- "):
            mapping = at_child - at_parent
    return Indent(mapping or 2, sequence if sequence is not None else 2, offset or 0)


def _yaml(indent: Indent) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = _NO_WRAP
    yaml.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    yaml.representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


@dataclass
class Document:
    """A file loaded for editing: `data` is ruamel's commented tree; `dump()` writes it back
    in the file's own style."""

    file: str
    text: str  # as read: BOM and line endings included
    data: CommentedMap
    yaml: YAML

    def dump(self) -> str:
        """The edited text, in the original file's layout (see `keep_layout`)."""
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        return keep_layout(self.text, out.getvalue())


def load_document(file: str, text: str) -> Document:
    """`text` as read from `file` (decoded, but BOM and line endings left as they are)."""
    plain = plain_text(text)
    yaml = _yaml(detect_indent(plain))
    try:
        data = yaml.load(plain)
    except (YAMLError, ValueError) as exc:  # ValueError: e.g. an integer Python will not convert
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise ConfigError(Problem(file, line, col, message=f"cannot edit: {exc}".splitlines()[0])) from None
    if not isinstance(data, CommentedMap):
        raise ConfigError(Problem(file, 1, 1, message="cannot edit: the top level is not a mapping"))
    return Document(file, text, data, yaml)


def styled_like(old: Any, new: Any) -> Any:
    """`new` in the quoting style of `old` ("2026.11.0" stays double-quoted)."""
    if isinstance(old, ScalarString) and isinstance(new, str):
        return type(old)(new)
    return new


def set_value(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set `mapping[key]`, keeping the old value's quoting; a new key goes at the end."""
    mapping[key] = styled_like(mapping.get(key), value)


def clear(container: CommentedMap | CommentedSeq) -> None:
    """Empty a mapping or list in place (its style and the comments around it stay)."""
    if isinstance(container, CommentedMap):
        for key in list(container):
            del container[key]
    else:
        del container[:]


def set_header(text: str, header: list[str]) -> str:
    """Replace the leading comment block of `text` (lines before the first content line),
    keeping `# yaml-language-server:` lines, with `header` comment lines (in the text's own
    line ending and BOM)."""
    bom = _BOM if text.startswith(_BOM) else ""
    lines = _lines(text.removeprefix(_BOM))
    newline = _newline(lines)
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        start += 1
    keep = [line for line in lines[:start] if line.startswith("# yaml-language-server:")]
    return bom + "".join(keep + [f"# {h}{newline}" if h else f"#{newline}" for h in header] + lines[start:])
