"""A parsed YAML file: its data and the line/column of every value.

The type lives here, below the loader, because the desired state holds documents (release
manifests, bases, the catalog) and everything that reads the state locates values in them.
`quantmatrix.repo.yamlfile` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file. `positions` maps a path into `data` to its 1-based (line, col):
    for a mapping entry the position of its key, for a list item the item's."""

    file: str
    data: dict[str, Any]
    positions: Mapping[Path, tuple[int, int]]

    def position(self, path: Path) -> tuple[int, int]:
        """Position of `path`, or of its nearest ancestor that has one."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def locate(self, path: Path) -> tuple[str, int, int]:
        """File, line, col of `path` (see `position`)."""
        line, col = self.position(path)
        return self.file, line, col


def dotted(path: Path) -> str:
    """`("spec", "strategies", 2, "version")` → `spec.strategies[2].version`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
