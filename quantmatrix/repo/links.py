"""The symlink rule, one algorithm for the work tree and for a git tree.

A path of the repository is resolved component by component. A symlink is followed only
while its target stays inside the repository: an absolute target, or one whose `..` climbs
above the repository root, *leaves* it; a target that names nothing *dangles*; more than
`MAX_LINKS` links in one resolution is a *loop*. Each is an error at the path that was
asked for, never a file silently skipped. The same function serves `DirectorySource`
(entries from `lstat`/`readlink`) and `GitSource` (entries from `git ls-tree`, where a
symlink is a blob of mode 120000 holding its target), so both modes agree by construction.

File names are checked too: a name holding a control, format or bidi character (see
`unsafe_text`) is refused rather than read, in both modes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import Enum

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.unsafe_text import describe, escape, first_unsafe

MAX_LINKS = 40  # as Linux's ELOOP


class Kind(Enum):
    FILE = "file"
    DIR = "directory"
    LINK = "symlink"
    OTHER = "special file"  # FIFO, socket, device, submodule: never read


# `entry(path)` → (kind, symlink target) of an entry, or None when nothing is there
Entry = Callable[[str], "tuple[Kind, str] | None"]


class NotFound(ConfigError):
    """Nothing at the path, and no symlink was involved: the file simply is not there."""


def name_problem(path: str) -> Problem | None:
    """A problem if `path` holds a character no file name of the repository may hold."""
    at = first_unsafe(path, value=False)
    if at < 0:
        return None
    return Problem(
        escape(path),
        message=f"file name contains {describe(path[at])}; rename the file (control and bidi characters are not allowed in names)",
    )


def resolve(path: str, entry: Entry, *, want: Kind = Kind.FILE) -> str:
    """The path, inside the repository and free of symlinks, that `path` names.

    Raises `ConfigError` at `path` for a symlink that leaves the repository, dangles or
    loops, for a name with unsafe characters, or when the result is not of kind `want`;
    `NotFound` when there is plainly nothing at `path`."""
    bad_name = name_problem(path)
    if bad_name is not None:
        raise ConfigError(bad_name)
    shown = escape(path)

    def refuse(message: str) -> ConfigError:
        return ConfigError(Problem(shown, message=message))

    todo = deque(path.split("/"))
    done: list[str] = []
    links = 0
    last_target = ""
    kind = Kind.DIR  # the repository root
    while todo:
        part = todo.popleft()
        if part in ("", "."):
            continue
        if part == "..":
            if not done:
                raise refuse(f"symlink to '{escape(last_target)}' leaves the repository")
            done.pop()
            continue
        if kind is not Kind.DIR:
            raise refuse(f"'{escape('/'.join(done))}' is a {kind.value}, not a directory")
        found = entry("/".join([*done, part]))
        if found is None:
            if links:
                raise refuse(f"symlink to '{escape(last_target)}' dangles: nothing in the repository has that name")
            raise NotFound(Problem(shown, message="no such file"))
        kind, target = found
        if kind is Kind.LINK:
            links += 1
            if links > MAX_LINKS:
                raise refuse(f"symlink loop (more than {MAX_LINKS} links to follow)")
            last_target = target
            if not target or target.startswith("/"):
                raise refuse(f"symlink to '{escape(target)}' leaves the repository")
            todo.extendleft(reversed(target.split("/")))
            kind = Kind.DIR  # the link's own directory (`done`) is a directory
            continue
        done.append(part)
    if kind is not want:
        raise refuse(
            f"is a {kind.value}, not a {want.value}"
            + (f" (through a symlink to '{escape(last_target)}')" if links else "")
        )
    return "/".join(done)
