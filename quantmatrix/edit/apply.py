"""Write edited desired-state files only if the result validates, and atomically.

The edited texts are first laid over the directory as an in-memory overlay and loaded with
the loader — the same checks as `qm validate`, cross-file references included. Only a state
that loads is written, each file through a temporary file and a rename, so an interrupted
run never leaves a half-written manifest; a new file is linked into place, which fails if
someone created it meanwhile instead of overwriting it. An existing file reached through a
symlink (inside the repository: the loader refuses any other) is written where the link
points, so the link stays a link.

A temporary file is named `.<file>.qm-<pid>.<random>.tmp`: the loader never reads it (it
lists `*.yaml`/`*.yml` only), and a run killed between the fsync and the rename leaves one
behind, which the next edit removes once the process that wrote it is gone.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import YAML_SUFFIXES, DirectorySource
from quantmatrix.state import DesiredState


@dataclass
class OverlaySource:
    """A directory with some files replaced or added in memory."""

    base: DirectorySource
    overrides: dict[str, bytes] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.base.label

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        extra = [
            p
            for p in self.overrides
            if p.startswith(f"{folder}/") and "/" not in p[len(folder) + 1 :] and p.endswith(suffixes)
        ]
        return sorted(set(self.base.files(folder, suffixes)) | set(extra))

    def read(self, path: str) -> bytes:
        return self.overrides[path] if path in self.overrides else self.base.read(path)

    def exists(self, path: str) -> bool:
        return path in self.overrides or self.base.exists(path)


def check_edits(root: Path, edits: dict[str, str]) -> DesiredState:
    """The desired state as it would be with `edits` (path → new text); `ConfigError` if invalid."""
    overlay = OverlaySource(DirectorySource(root), {path: text.encode("utf-8") for path, text in edits.items()})
    return load_source(overlay)


_TMP = re.compile(r"\..+\.qm-(\d+)\.[^.]+\.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**31  # another user's process is alive; a pid that large never is
    return True


def remove_orphans(folder: Path) -> list[str]:
    """Remove the temporary files that a killed run of this module left in `folder` (regular
    files named as ours whose process is gone); return their names."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = _TMP.fullmatch(name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if stat.S_ISREG(os.lstat(folder / name).st_mode):
                os.unlink(folder / name)
                removed.append(name)
        except OSError:
            continue  # gone meanwhile, or not ours to remove: harmless
    return removed


def _write_atomic(target: Path, text: str, create: bool) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.qm-{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if create:
            os.chmod(tmp, 0o644)
            os.link(tmp, target)  # fails if the file appeared meanwhile: never overwrite
        else:
            os.chmod(tmp, target.stat().st_mode & 0o7777)
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_edits(root: Path, edits: dict[str, str], create: tuple[str, ...] = ()) -> DesiredState:
    """Validate `edits`, then write them. Paths in `create` must not exist yet."""
    for folder in sorted({(root / path).parent for path in edits}):
        remove_orphans(folder)
    for path in create:
        if os.path.lexists(root / path):
            raise ConfigError(Problem(path, message="already exists; refusing to overwrite it"))
    state = check_edits(root, edits)
    source = DirectorySource(root)
    for path, text in edits.items():
        try:
            _write_atomic(root / path if path in create else source.locate(path), text, create=path in create)
        except FileExistsError:
            raise ConfigError(Problem(path, message="already exists; refusing to overwrite it")) from None
        except OSError as exc:
            raise ConfigError(Problem(path, message=f"cannot write: {exc.strerror}")) from None
    return state


def read_text(root: Path, path: str) -> str:
    """A file to edit, through the loader's own reader (symlink rule, size limit), decoded
    with its BOM and line endings left in place for `roundtrip.keep_layout`."""
    try:
        return DirectorySource(root).read(path).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(Problem(path, message="not valid UTF-8")) from None
