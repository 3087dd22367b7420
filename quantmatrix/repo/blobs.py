"""What the loader read, as git blob ids: the key of everything derived from the desired state.

`blob_id` is the id git gives a blob of some bytes (equal ids, equal bytes, equal parse); the
loader records one per file it parsed (`DesiredState.blobs`). `directory_blobs` recomputes
that mapping from a directory without parsing anything (the in-sync fast path of `qm apply`
compares it with the one an earlier full load recorded). Standard library only: the fast path
must not import the models.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")


def blob_id(raw: bytes) -> str:
    """The id git gives a blob of these bytes: equal ids, equal bytes, equal parse."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw, usedforsecurity=False).hexdigest()


def directory_blobs(
    root: Path, folders: tuple[str, ...], suffixes: tuple[str, ...] = YAML_SUFFIXES
) -> dict[str, str] | None:
    """path → blob id of every entry named `*suffix` (YAML by default) directly in each folder
    under `root`, as the loader lists them. None when anything is not a plain regular file in a real
    directory (a symlink, a FIFO, a subfolder named *.yaml): the loader's rules for those
    (`repo.links`) are not restated here, so such a tree is never judged by this function."""
    try:
        return _blobs(root, folders, suffixes)
    except OSError:  # a symlink (ELOOP), a file that vanished: not judged here
        return None


def _blobs(root: Path, folders: tuple[str, ...], suffixes: tuple[str, ...]) -> dict[str, str] | None:
    found: dict[str, str] = {}
    for folder in folders:
        base = root / folder
        try:
            info = os.lstat(base)
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(info.st_mode) or any(
            stat.S_ISLNK(os.lstat(root.joinpath(*folder.split("/")[:n])).st_mode)
            for n in range(1, folder.count("/") + 1)
        ):
            return None
        for name in sorted(os.listdir(base)):
            if not name.endswith(suffixes):
                continue
            path = base / name
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)  # ELOOP: a symlink
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return None
                with os.fdopen(fd, "rb", closefd=False) as handle:
                    found[f"{folder}/{name}"] = blob_id(handle.read())
            finally:
                os.close(fd)
    return found
