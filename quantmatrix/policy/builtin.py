"""The built-in policy pack: the Rego modules, their tests and settings shipped in the package.

A consuming repository needs only `environments/` and `releases/`: `pip install
quantmatrix-deploy` brings the whole pack (`quantmatrix/policies/`, package data), found with
`importlib.resources` so it works from a wheel, an sdist install or an editable checkout
alike. The repository's own `policies/` is read next to it (`quantmatrix/policy/pack.py`): it
adds rules and may override settings within limits, never replaces the pack.

`PackageSource` is a read-only `Source` over the installed package, addressed with the same
paths as in this repository (`quantmatrix/policies/live.rego`), so findings, coverage and the
PR summary name a built-in module the same way whether it was read from the installed package
or, for `--base-pack` in this repository, from a git ref.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.source import YAML_SUFFIXES, Source

PACKAGE = "quantmatrix"
BUILTIN_DIR = "quantmatrix/policies"


@dataclass
class PackageSource:
    """Files of the installed `quantmatrix` package, by paths starting `quantmatrix/`."""

    label: str = "the installed quantmatrix package"

    def _node(self, path: str) -> Traversable | None:
        parts = path.split("/")
        if parts[0] != PACKAGE or any(part in ("", ".", "..") for part in parts[1:]):
            return None
        node = resources.files(PACKAGE)
        for part in parts[1:]:
            node = node.joinpath(part)
        return node

    def files(self, folder: str, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[str]:
        node = self._node(folder)
        if node is None or not node.is_dir():
            return []
        return sorted(
            f"{folder}/{child.name}" for child in node.iterdir() if child.is_file() and child.name.endswith(suffixes)
        )

    def read(self, path: str) -> bytes:
        node = self._node(path)
        if node is None or not node.is_file():
            raise ConfigError(Problem(path, message=f"missing from {self.label}: reinstall quantmatrix-deploy"))
        return node.read_bytes()

    def exists(self, path: str) -> bool:
        node = self._node(path)
        return node is not None and node.is_file()


def installed() -> Source | None:
    """The built-in pack of the installed package.

    `None` means "no built-in pack": only tests of the gate's own mechanics use it (they
    replace this function to judge with a small pack of their own); the CLI has no way to
    ask for it, so a repository cannot switch the built-in pack off."""
    return PackageSource()


def builtin_at(source: Source) -> Source | None:
    """The built-in pack to judge `source` with under `--base-pack`: the ref's own copy when it
    is this tool's repository (it has `quantmatrix/policies/*.rego`, so a pull request that
    weakens the built-in pack is judged by the base's), else the installed one. Only ever an
    extra judgement: the head is always judged by the installed pack."""
    if source.files(BUILTIN_DIR, (".rego",)):
        return source
    return installed()
