"""Where desired-state files come from: a directory, or a commit of a git repository.

Every reader of the repository (loader, policy pack, waivers, edits) goes through a
`Source`, and a `Source` reads a path only through `links.resolve`: the same symlink and
file-name rules in both modes. Reading a git ref never touches the work tree: we list the
tree with `git ls-tree -z` and read every blob, by object id, through one
`git cat-file --batch` process.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.blobs import YAML_SUFFIXES as YAML_SUFFIXES  # re-exported: readers import it from here
from quantmatrix.repo.links import Entry, Kind, NotFound, resolve
from quantmatrix.repo.unsafe_text import escape
from quantmatrix.repo.yamlfile import MAX_FILE_BYTES


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
    """The files under `root`, read through the symlink rule of `links` (never outside `root`)."""

    root: Path
    label: str = ""
    prefix: str = ""  # where `root` is in its git repository ("deploy/"): reports name files from there

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.label = self.label or str(self.root)
        if not self.root.is_dir():
            raise ConfigError(Problem(str(self.root), message="no such directory"))

    def _entry(self, path: str) -> tuple[Kind, str] | None:
        try:
            info = os.lstat(self.root / path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise ConfigError(Problem(escape(path), message=f"cannot read: {exc.strerror}")) from None
        if stat.S_ISLNK(info.st_mode):
            return Kind.LINK, os.readlink(self.root / path)
        return _KINDS.get(stat.S_IFMT(info.st_mode), Kind.OTHER), ""

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        """Every entry of `folder` named `*suffix` but a directory: a broken symlink or a bad
        name is listed, so that reading it reports the problem instead of skipping the file."""
        try:
            base = self.root / resolve(folder, self._entry, want=Kind.DIR)
        except NotFound:
            return []
        try:
            names = os.listdir(base)
        except OSError as exc:
            raise ConfigError(Problem(escape(folder), message=f"cannot list: {exc.strerror}")) from None
        return sorted(f"{folder}/{name}" for name in names if name.endswith(suffixes) and not _is_real_dir(base / name))

    def locate(self, path: str) -> Path:
        """The file `path` names, symlinks resolved (`ConfigError` by the symlink rule)."""
        return self.root / resolve(path, self._entry)

    def read(self, path: str) -> bytes:
        """At most one byte over the limit: enough to refuse a huge file without reading it."""
        real = self.locate(path)
        try:
            # O_NOFOLLOW: `real` has no symlink left; O_NONBLOCK: a FIFO swapped in meanwhile cannot hang us
            fd = os.open(real, os.O_RDONLY | _NO_FOLLOW_NO_BLOCK)
        except OSError as exc:
            raise ConfigError(Problem(escape(path), message=f"cannot read: {exc.strerror}")) from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ConfigError(Problem(escape(path), message="is not a regular file"))
            try:
                return handle.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                raise ConfigError(Problem(escape(path), message=f"cannot read: {exc.strerror}")) from None

    def exists(self, path: str) -> bool:
        return _present(path, self._entry)


_KINDS = {stat.S_IFREG: Kind.FILE, stat.S_IFDIR: Kind.DIR}
_NO_FOLLOW_NO_BLOCK = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)  # POSIX


def _present(path: str, entry: Entry) -> bool:
    """Whether something is at `path`: a broken symlink counts, so that reading it reports it
    (a dangling `policies/settings.yaml` must not mean "no settings")."""
    try:
        resolve(path, entry)
    except NotFound:
        return False
    except ConfigError:
        return True
    return True


def _is_real_dir(path: Path) -> bool:
    """A directory, not a symlink to one (a name that vanished meanwhile is listed: reading it says so)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=False)
    except FileNotFoundError:
        raise ConfigError(Problem(subject="git", message="git is not installed")) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(Problem(str(repo), message=f"git {args[0]}: {escape(message[-1]) if message else 'failed'}"))
    return done.stdout


@dataclass(frozen=True)
class _Blob:
    kind: Kind
    oid: str  # the object id, as hex
    size: int


_GIT_MODES = {"100644": Kind.FILE, "100755": Kind.FILE, "120000": Kind.LINK}


@dataclass
class GitSource:
    """The tree of `ref` in the repository at `repo`. Blobs are read once, on first use, by
    object id: a file name never travels through `cat-file --batch`, and every answer's
    header (id, type, size) is checked against the request."""

    repo: Path
    ref: str
    label: str = ""
    commit: str = ""
    prefix: str = ""  # the subtree read ("deploy/"): its files are addressed relative to it
    _entries: dict[str, _Blob] = field(default_factory=dict)
    _dirs: set[str] = field(default_factory=set)
    _listed: list[str] = field(default_factory=list)  # what `files` returned: read together
    _skipped: set[str] = field(default_factory=set)  # ... but these
    _blobs: dict[str, bytes] = field(default_factory=dict)  # object id → contents

    def __post_init__(self) -> None:
        self.repo = Path(self.repo)
        if self.ref.startswith("-"):
            raise ConfigError(Problem(escape(self.ref), message="not a git ref"))
        try:
            self.commit = _git(self.repo, "rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}").decode().strip()
        except ConfigError:
            raise ConfigError(
                Problem(str(self.repo), message=f"git ref '{escape(self.ref)}' does not name a commit here")
            ) from None
        self.label = self.label or f"{escape(self.ref)}@{self.commit[:12]}"
        # "<mode> SP <type> SP <id> SP <size> TAB <path> NUL": -z, so a name may hold anything
        listing = _git(self.repo, "ls-tree", "-r", "-l", "-z", "--full-tree", self.commit)
        for record in listing.split(b"\0"):
            meta, tab, name = record.partition(b"\t")
            fields = meta.split()
            if not tab or len(fields) != 4:
                continue
            mode, kind, oid, size = (f.decode("ascii", "replace") for f in fields)
            path = name.decode("utf-8", "surrogateescape")  # a non-UTF-8 name is refused, as a surrogate
            if self.prefix:  # the subtree only, as a directory source rooted there sees it
                if not path.startswith(self.prefix):
                    continue
                path = path[len(self.prefix) :]
            self._entries[path] = _Blob(
                _GIT_MODES.get(mode, Kind.OTHER) if kind == "blob" else Kind.OTHER,
                oid,
                int(size) if size.isdigit() else 0,
            )
            parts = path.split("/")
            self._dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))

    def _entry(self, path: str) -> tuple[Kind, str] | None:
        if path in self._dirs:
            return Kind.DIR, ""
        blob = self._entries.get(path)
        if blob is None:
            return None
        if blob.kind is Kind.LINK:
            return Kind.LINK, self._contents([blob])[blob.oid].decode("utf-8", "surrogateescape")
        return blob.kind, ""

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        try:
            real = resolve(folder, self._entry, want=Kind.DIR)
        except NotFound:
            return []
        prefix = f"{real}/" if real else ""
        found = sorted(
            f"{folder}/{p[len(prefix) :]}"
            for p in self._entries
            if p.startswith(prefix) and "/" not in p[len(prefix) :] and p.endswith(suffixes)
        )
        self._listed.extend(found)
        return found

    def exists(self, path: str) -> bool:
        return _present(path, self._entry)

    def blob_id(self, path: str) -> str | None:
        """The object id of the file at `path`, without reading it (None when it does not
        resolve to a file: reading it says why)."""
        try:
            blob = self._entries[resolve(path, self._entry)]
        except (ConfigError, KeyError):
            return None
        return blob.oid if blob.kind is Kind.FILE else None

    def skip_read_ahead(self, paths: Collection[str]) -> None:
        """Files the caller will not read (it has their contents already): not read ahead."""
        self._skipped.update(paths)

    def read(self, path: str) -> bytes:
        blob = self._entries[resolve(path, self._entry)]
        if blob.oid not in self._blobs:
            batch = [blob]
            for other in self._listed:  # the listed files are read with one process
                if other in self._skipped:
                    continue
                try:
                    batch.append(self._entries[resolve(other, self._entry)])
                except (ConfigError, KeyError):
                    continue  # reading it will say why
            self._contents(batch)
        return self._blobs[blob.oid]

    def _contents(self, blobs: list[_Blob]) -> dict[str, bytes]:
        """Read blobs by id with one `git cat-file --batch` (a process per file would dominate).
        A blob over the size limit is read only up to one byte past it, like a file."""
        wanted = [b for b in dict.fromkeys(blobs) if b.oid not in self._blobs]
        small = [b for b in wanted if b.size <= MAX_FILE_BYTES]
        for blob in wanted:
            if blob.size > MAX_FILE_BYTES:
                self._blobs[blob.oid] = _head_of_blob(self.repo, blob.oid)
        if small:
            out = _git(self.repo, "cat-file", "--batch", input="".join(f"{b.oid}\n" for b in small).encode("ascii"))
            pos = 0
            for blob in small:
                header_end = out.find(b"\n", pos)
                expected = f"{blob.oid} blob {blob.size}".encode("ascii")
                end = header_end + 1 + blob.size
                if header_end < 0 or out[pos:header_end] != expected or out[end : end + 1] != b"\n":
                    raise ConfigError(
                        Problem(
                            self.label,
                            message=f"git cat-file answered out of step (expected '{expected.decode()}'); nothing was read",
                        )
                    )
                self._blobs[blob.oid] = out[header_end + 1 : end]
                pos = end + 1
        return self._blobs


def _head_of_blob(repo: Path, oid: str) -> bytes:
    """The first `MAX_FILE_BYTES + 1` bytes of a blob: enough to refuse it, without holding
    a hostile multi-gigabyte blob in memory."""
    with subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "blob", oid], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as git:
        head = git.stdout.read(MAX_FILE_BYTES + 1) if git.stdout else b""
        git.kill()  # the rest is not wanted
    return head


def open_source(path: str | Path = ".", ref: str | None = None) -> Source:
    """A directory, or (with `ref`) that commit of the git repository containing `path`; for
    a subdirectory (`deploy/`), the same subtree at `ref`. Either way the source knows its
    `prefix` in the repository, so that reports name files from the git root."""
    root = Path(path)
    if ref is None:
        source = DirectorySource(root)
        source.prefix = git_prefix(root)
        return source
    if not root.is_dir():
        raise ConfigError(Problem(str(root), message="no such directory"))
    top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
    prefix = _git(root, "rev-parse", "--show-prefix").decode("utf-8", "surrogateescape").strip("\n")
    return GitSource(Path(top), ref, prefix=prefix)


def git_prefix(root: Path) -> str:
    """Where directory `root` is in the git repository holding it ("deploy/"); "" at the
    repository root or outside any repository (then paths stay relative to `root`)."""
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-prefix"], capture_output=True, check=False)
    except OSError:
        return ""
    return done.stdout.decode("utf-8", "surrogateescape").strip("\n") if done.returncode == 0 else ""


TREE_FOLDERS = ("environments", "releases", "policies", "migrations")


def from_git_root(file: str, source: Source) -> str:
    """`file` (relative to `source`) as a path from the git root: what SARIF, GitHub
    annotations and people in the repository root expect. Labels that are not files of the
    tree (a directory given on the command line, a URL, "git") are left as they are."""
    prefix = source.prefix if isinstance(source, (DirectorySource, GitSource)) else ""
    if prefix and file.split("/", 1)[0] in TREE_FOLDERS:
        return prefix + file
    return file


def problems_from_root(problems: Iterable[Problem], source: Source, ref: str | None = None) -> list[Problem]:
    """`problems` found reading `source`, their files named from the git root, and in a ref
    git-style (`main:deploy/environments/live.yaml`). A problem about no file (a subject
    only) has no path to rebase or ref to name."""
    named = [replace(p, file=from_git_root(p.file, source)) if p.file else p for p in problems]
    return [replace(p, file=f"{ref}:{p.file}") if p.file else p for p in named] if ref else named
