"""Layering: an environment's `spec` merged over the base layer it `extends`.

Rules (documented in the README):
- mappings merge key by key, recursively;
- lists and scalars replace what the base had;
- an explicit `null` removes the key the base set.

An effective value remembers which layer it came from, so a problem in it points at the
file and line where that value was written, base or environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quantmatrix.repo.yamlfile import Path, YamlDocument


def merge(base: Any, override: Any) -> Any:
    """Deep-merge `override` over `base` (neither is modified)."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    out: dict[str, Any] = {}
    for key, value in override.items():  # the top layer's key order reads best
        if value is not None:
            out[key] = merge(base[key], value) if key in base else value
    for key, value in base.items():
        if key not in override:
            out[key] = value
    return out


@dataclass(frozen=True)
class Layered:
    """An effective document and the files it was merged from, top layer first."""

    data: dict[str, Any]
    layers: tuple[YamlDocument, ...]

    def locate(self, path: Path) -> tuple[str, int, int]:
        """File, line, col of the value at `path`: the top-most layer that wrote it."""
        for layer in self.layers:
            if _writes(layer.data, path):
                line, col = layer.position(path)
                return layer.file, line, col
        top = self.layers[0]
        line, col = top.position(path)
        return top.file, line, col


def _writes(data: Any, path: Path) -> bool:
    """Whether a layer holding `data` decides the value at `path`: it has the path, or it
    replaced (not merged) an ancestor of it."""
    node = data
    for part in path:
        if isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        elif isinstance(node, list):
            return True  # lists replace: the layer that wrote the list wrote its items
        else:
            return True
    return True


def layer(document: YamlDocument, bases: list[YamlDocument]) -> Layered:
    """Merge `document`'s spec over its chain of bases (nearest base first)."""
    spec: dict[str, Any] = {}
    for base in reversed(bases):
        spec = merge(spec, base.data.get("spec") or {})
    data = dict(document.data)
    if "spec" in data:  # no spec at all stays missing: the model says so at the right place
        data["spec"] = merge(spec, data["spec"])
    return Layered(data, (document, *bases))
