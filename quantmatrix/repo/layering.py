"""Layering: an environment's `spec` merged over the base layer it `extends`.

Rules (documented in the README):
- mappings merge key by key, recursively;
- lists and scalars replace what the base had;
- an explicit `null` removes the key the base set.

The effective document is built fresh and deeply frozen (`quantmatrix.state.frozen`).

An effective value remembers which layer it came from, so a problem in it points at the
file and line where that value was written, base or environment.
"""

from __future__ import annotations

from typing import Any

from quantmatrix.state import FrozenDict, Layered, YamlDocument, freeze


def merge(base: Any, override: Any) -> Any:
    """Deep-merge `override` over `base` into a fresh, deeply frozen tree (neither is modified,
    and the result shares no container with either: environments that extend one base never
    hold the same object)."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return freeze(override)
    out: dict[str, Any] = {}
    for key, value in override.items():  # the top layer's key order reads best
        if value is not None:
            out[key] = merge(base[key], value) if key in base else freeze(value)
    for key, value in base.items():
        if key not in override:
            out[key] = freeze(value)
    return FrozenDict(out)


def layer(document: YamlDocument, bases: list[YamlDocument]) -> Layered:
    """Merge `document`'s spec over its chain of bases (nearest base first)."""
    spec: Any = {}
    for base in reversed(bases):
        spec = merge(spec, base.data.get("spec") or {})
    data = {key: merge(spec, value) if key == "spec" else freeze(value) for key, value in document.data.items()}
    # no spec at all stays missing: the model says so at the right place
    return Layered(FrozenDict(data), (document, *bases))
