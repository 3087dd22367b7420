"""The `migrations/` of the tree being applied, copied into a private directory for alembic.

alembic runs scripts from a directory. With `--ref` the commit's `migrations/` is what must
run, not the work tree's (an uncommitted revision must not run, a committed one absent from
the work tree must), so the scripts are read through the `Source` (`links.resolve`: the
same symlink and file-name rules as every other read; a link never leads out of the
repository) and written as plain files into a fresh directory only this process can read.
The work tree goes through the same path, so both modes run exactly what the plan read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.migrations import MIGRATIONS_DIR, VERSIONS_DIR
from quantmatrix.repo.source import Source
from quantmatrix.repo.unsafe_text import escape
from quantmatrix.repo.yamlfile import MAX_FILE_BYTES

SCRIPT_SUFFIXES = (".py", ".mako")  # env.py, the revisions, alembic's script template
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _write(into: Path, path: str, data: bytes) -> None:
    name = path.rsplit("/", 1)[-1]
    if name in ("", ".", "..") or "\0" in name or os.sep in name:
        raise ConfigError(Problem(escape(path), message="not a plain file name: not copied"))
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(Problem(escape(path), message=f"larger than {MAX_FILE_BYTES} bytes"))
    fd = os.open(into / name, _CREATE, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def copy_migrations(source: Source, into: Path) -> Path:
    """Copy `migrations/*.{py,mako}` and `migrations/versions/*.py` of `source` under `into`;
    returns the copy's `migrations/`. `ConfigError` (nothing runs) when there is no
    `migrations/env.py` or a file breaks the symlink or name rules."""
    if not source.exists(f"{MIGRATIONS_DIR}/env.py"):
        raise ConfigError(
            Problem(
                f"{MIGRATIONS_DIR}/env.py", message=f"no alembic environment in {source.label}: nothing to migrate with"
            )
        )
    top = into / MIGRATIONS_DIR
    versions = into / VERSIONS_DIR
    versions.mkdir(mode=0o700, parents=True)
    for folder, where in ((MIGRATIONS_DIR, top), (VERSIONS_DIR, versions)):
        for path in source.files(folder, SCRIPT_SUFFIXES):
            _write(where, path, source.read(path))
    return top


@contextmanager
def migration_scripts(source: Source) -> Iterator[Path]:
    """`source`'s `migrations/` as a private directory (mode 0700), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="qm-migrations-") as private:
        yield copy_migrations(source, Path(private))
