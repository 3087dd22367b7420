"""The apply lock without PostgreSQL: `flock` on `<root>/.qm/locks/<environment>.lock`.

The kernel releases a flock when its holder dies, however it dies, so a dead holder's lock
is free at once; the holder text it left in the file is stale but harmless: the next holder
overwrites it before anyone can read it as "the holder" (a reader only reads it while
someone holds the lock). The file is never deleted: deleting a locked file would let a
newcomer lock a fresh file of the same name while the old holder still runs.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from quantmatrix.errors import RuntimeUnavailable
from quantmatrix.reconcile.holder import Holder, LockHeld, LockLost, format_since, printable

LOCK_DIR = Path(".qm") / "locks"
_READ_TRIES = 5  # a holder writes its text right after taking the lock: give it a moment


@dataclass
class FileLock:
    environment: str
    holder: Holder
    path: Path
    _fd: int = field(repr=False)
    kind: str = "file"

    def verify(self) -> None:
        """Raise `LockLost` unless the lock file on disk is still the one this lock holds."""
        try:
            on_disk = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            raise LockLost(f"the apply lock file {self.path} was removed while held") from None
        if (on_disk.st_dev, on_disk.st_ino) != _identity(self._fd):
            raise LockLost(f"the apply lock file {self.path} was replaced while held")

    def release(self) -> None:
        if self._fd < 0:
            return
        try:
            os.ftruncate(self._fd, 0)  # no stale holder text left for a person reading it
        finally:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = -1


def acquire(root: Path, environment: str, holder: Holder) -> FileLock:
    """Take the lock without waiting, or raise `LockHeld` naming the live holder."""
    folder = root / LOCK_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuntimeUnavailable(f"cannot create the apply lock folder {folder}: {error.strerror}") from None
    path = folder / f"{environment}.lock"
    for _ in range(3):
        # O_NOFOLLOW: a symlink planted at the lock's name is refused, not followed
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise RuntimeUnavailable(f"cannot open the apply lock file {path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(fd)
                raise
            text = _read_holder(fd)
            os.close(fd)
            raise LockHeld(environment, *text) from None
        if _still_at(path, fd):
            os.ftruncate(fd, 0)
            os.pwrite(fd, _holder_text(environment, holder).encode(), 0)
            return FileLock(environment, holder, path, fd)
        os.close(fd)  # the file was replaced between open and flock: lock the new one
    raise LockLost(f"the apply lock file {path} keeps being replaced")


def _holder_text(environment: str, holder: Holder) -> str:
    return (
        json.dumps(
            {
                "environment": environment,
                "holder": holder.describe(environment),
                "since": format_since(holder.since),
                "pid": holder.pid,
                "host": holder.host,
            }
        )
        + "\n"
    )


def _read_holder(fd: int) -> tuple[str, str | None]:
    """(holder, since) from a held lock's file; 'unknown' if it cannot be read as ours."""
    for attempt in range(_READ_TRIES):
        try:
            data = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
            holder, since = data["holder"], data["since"]
            if isinstance(holder, str) and isinstance(since, str):
                return printable(holder), printable(since, 40)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            pass
        if attempt + 1 < _READ_TRIES:
            time.sleep(0.02)
    return "an unknown process (its lock file holds no readable holder)", None


def _identity(fd: int) -> tuple[int, int]:
    stat = os.fstat(fd)
    return stat.st_dev, stat.st_ino


def _still_at(path: Path, fd: int) -> bool:
    try:
        on_disk = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return (on_disk.st_dev, on_disk.st_ino) == _identity(fd)
