"""The symlink rule as a pure function over a tree of entries (the same function serves the
work tree and a git tree; tests/adversarial/test_loader_boundaries.py runs both for real)."""

from __future__ import annotations

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo.links import MAX_LINKS, Kind, NotFound, resolve

TREE: dict[str, tuple[Kind, str]] = {
    "environments": (Kind.DIR, ""),
    "environments/live.yaml": (Kind.FILE, ""),
    "environments/alias.yaml": (Kind.LINK, "live.yaml"),
    "environments/chain.yaml": (Kind.LINK, "alias.yaml"),
    "environments/around.yaml": (Kind.LINK, "../environments/./live.yaml"),
    "environments/up.yaml": (Kind.LINK, "../../outside.yaml"),
    "environments/abs.yaml": (Kind.LINK, "/etc/passwd"),
    "environments/gone.yaml": (Kind.LINK, "nothing.yaml"),
    "environments/self.yaml": (Kind.LINK, "self.yaml"),
    "environments/through-file.yaml": (Kind.LINK, "live.yaml/x"),
    "environments/dir.yaml": (Kind.LINK, "."),
    "envs": (Kind.LINK, "environments"),
    "fifo.yaml": (Kind.OTHER, ""),
}


def entry(path: str) -> tuple[Kind, str] | None:
    return TREE.get(path)


@pytest.mark.parametrize(
    "path, real",
    [
        ("environments/live.yaml", "environments/live.yaml"),
        ("environments/alias.yaml", "environments/live.yaml"),
        ("environments/chain.yaml", "environments/live.yaml"),
        ("environments/around.yaml", "environments/live.yaml"),
        ("envs/alias.yaml", "environments/live.yaml"),
    ],
)
def test_links_inside_the_repository_resolve(path: str, real: str) -> None:
    assert resolve(path, entry) == real


def test_a_folder_link_resolves_to_a_directory() -> None:
    assert resolve("envs", entry, want=Kind.DIR) == "environments"


@pytest.mark.parametrize(
    "path, message",
    [
        ("environments/up.yaml", "symlink to '../../outside.yaml' leaves the repository"),
        ("environments/abs.yaml", "symlink to '/etc/passwd' leaves the repository"),
        ("environments/gone.yaml", "symlink to 'nothing.yaml' dangles"),
        ("environments/self.yaml", f"symlink loop (more than {MAX_LINKS} links to follow)"),
        ("environments/through-file.yaml", "'environments/live.yaml' is a file, not a directory"),
        ("environments/dir.yaml", "is a directory, not a file (through a symlink to '.')"),
        ("fifo.yaml", "is a special file, not a file"),
        ("environments/li\x1bve.yaml", "file name contains U+001B (ESC)"),
    ],
)
def test_what_the_rule_refuses(path: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        resolve(path, entry)
    assert not isinstance(error.value, NotFound)
    assert message in str(error.value)


def test_a_plainly_missing_file_is_not_found() -> None:
    with pytest.raises(NotFound):
        resolve("environments/paper.yaml", entry)
