"""Where desired-state files come from: a directory, or a commit of a git repository.

Reading a git ref never touches the work tree: we list the tree with `git ls-tree` and read
every blob through one `git cat-file --batch` process.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.yamlfile import MAX_FILE_BYTES

YAML_SUFFIXES = (".yaml", ".yml")


class Source(Protocol):
    """A read-only tree of files, addressed by POSIX paths relative to the repository root."""

    label: str

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        """Files directly in `folder` whose names end with one of `suffixes`, sorted."""
        ...

    def read(self, path: str) -> bytes: ...

    def exists(self, path: str) -> bool: ...


@dataclass
class DirectorySource:
    root: Path
    label: str = ""

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.label = self.label or str(self.root)
        if not self.root.is_dir():
            raise ConfigError(Problem(str(self.root), message="no such directory"))

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        base = self.root / folder
        if not base.is_dir():
            return []
        return sorted(f"{folder}/{p.name}" for p in base.iterdir() if p.name.endswith(suffixes) and p.is_file())

    def read(self, path: str) -> bytes:
        """At most one byte over the limit: enough to refuse a huge file without reading it."""
        try:
            with (self.root / path).open("rb") as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ConfigError(Problem(path, message=f"cannot read: {exc.strerror}")) from None

    def exists(self, path: str) -> bool:
        return (self.root / path).is_file()


def _git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=False)
    except FileNotFoundError:
        raise ConfigError(Problem("git", message="git is not installed")) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(Problem(str(repo), message=f"git {args[0]}: {message[-1] if message else 'failed'}"))
    return done.stdout


@dataclass
class GitSource:
    """The tree of `ref` in the repository at `repo`. Blobs are read once, on first use."""

    repo: Path
    ref: str
    label: str = ""
    commit: str = ""
    _paths: list[str] = field(default_factory=list)
    _listed: list[str] = field(default_factory=list)  # what `files` returned: read together
    _blobs: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.repo = Path(self.repo)
        if self.ref.startswith("-"):
            raise ConfigError(Problem(self.ref, message="not a git ref"))
        try:
            self.commit = _git(self.repo, "rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}").decode().strip()
        except ConfigError:
            raise ConfigError(Problem(str(self.repo), message=f"git ref '{self.ref}' does not name a commit here")) from None
        self.label = self.label or f"{self.ref}@{self.commit[:12]}"
        listing = _git(self.repo, "ls-tree", "-r", "-z", "--full-tree", self.commit)
        entries = (entry.split("\t", 1) for entry in listing.decode("utf-8", "replace").split("\0") if "\t" in entry)
        self._paths = sorted(path for meta, path in entries if meta.split(" ")[1:2] == ["blob"])  # "<mode> blob <sha>"

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        prefix = f"{folder}/"
        found = [p for p in self._paths if p.startswith(prefix) and "/" not in p[len(prefix) :] and p.endswith(suffixes)]
        self._listed.extend(found)
        return found

    def exists(self, path: str) -> bool:
        return path in self._paths

    def read(self, path: str) -> bytes:
        if path not in self._blobs:
            self._load([path] + [p for p in self._listed if p not in self._blobs])
        if path not in self._blobs:
            raise ConfigError(Problem(path, message=f"not in {self.label}"))
        return self._blobs[path]

    def _load(self, paths: list[str]) -> None:
        """Read many blobs with one `git cat-file --batch`: a process per file would dominate."""
        wanted = [p for p in dict.fromkeys(paths) if p in self._paths]
        request = "".join(f"{self.commit}:{p}\n" for p in wanted).encode()
        out = _git(self.repo, "cat-file", "--batch", input=request)
        pos = 0
        for path in wanted:
            header_end = out.index(b"\n", pos)
            header = out[pos:header_end].split()
            if len(header) < 3 or header[1] != b"blob":
                pos = header_end + 1
                continue
            size = int(header[2])
            self._blobs[path] = out[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1


def open_source(path: str | Path = ".", ref: str | None = None) -> Source:
    """A directory, or (with `ref`) that commit of the git repository containing `path`."""
    if ref is None:
        return DirectorySource(Path(path))
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(Problem(str(root), message="no such directory"))
    top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    if prefix:
        raise ConfigError(Problem(str(root), message=f"--ref needs the repository root ({top}), not a subdirectory"))
    return GitSource(Path(top), ref)
