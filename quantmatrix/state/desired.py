"""The desired state: everything in `environments/` and `releases/`, loaded, layered and
validated, deeply read-only.

The loader (`quantmatrix.repo.loader`) builds it; policy, diff, plan and apply read it and
never re-read files. Its effective documents are frozen (`quantmatrix.state.frozen`): a
consumer that fills in defaults or resolves secrets in place cannot change what another
consumer, or another environment, sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from quantmatrix.model import Environment, Release, SecretCatalog
from quantmatrix.state.document import Path, YamlDocument


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


@dataclass(frozen=True)
class DesiredState:
    """Everything in `environments/` and `releases/`, validated. Read-only by convention and
    by construction (mapping proxies over deeply frozen data): render once, pass around,
    never re-read files."""

    source: str
    environments: Mapping[str, Environment]
    releases: Mapping[str, Release]
    catalog: SecretCatalog | None  # every catalog file's entries as one catalog (metadata: the first file's)
    effective: Mapping[str, Layered]  # environment name → effective document + layers
    release_docs: Mapping[str, YamlDocument]
    catalog_docs: tuple[YamlDocument, ...]  # CATALOG_FILE, then CATALOG_DIR's files, by name
    base_docs: Mapping[str, YamlDocument] = field(default_factory=dict)
    secret_docs: Mapping[str, YamlDocument] = field(default_factory=dict)  # secret → catalog file declaring it
    # path → git blob id of the bytes each document was parsed from (what a partial load of
    # another ref compares: quantmatrix/repo/loader.py)
    blobs: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def files(self) -> dict[str, YamlDocument]:
        """Every document of the state by its file path: environments, bases, releases, catalog."""
        out = {layered.layers[0].file: layered.layers[0] for layered in self.effective.values()}
        out.update((doc.file, doc) for doc in self.base_docs.values())
        out.update((doc.file, doc) for doc in self.release_docs.values())
        out.update((doc.file, doc) for doc in self.catalog_docs)
        return out

    def secrets(self) -> dict[str, Any]:
        """Every catalog entry as written, whichever file declares it (first file wins a
        duplicate name, which is an error anyway)."""
        merged: dict[str, Any] = {}
        for doc in self.catalog_docs:
            spec = doc.data.get("spec")
            entries = spec.get("secrets") if isinstance(spec, dict) else None
            if isinstance(entries, dict):
                merged.update((name, entry) for name, entry in entries.items() if name not in merged)
        return merged

    def document(self) -> dict[str, Any]:
        """The whole desired state as one JSON-compatible document (the policy input)."""
        return {
            "environments": {name: doc.data for name, doc in self.effective.items()},
            # each environment file as written, before layering: what it sets itself
            "declared": {name: doc.layers[0].data for name, doc in self.effective.items()},
            "releases": {name: doc.data for name, doc in self.release_docs.items()},
            "secrets": self.secrets(),
            "bases": {name: doc.data for name, doc in self.base_docs.items()},
        }

    def locate(self, path: Path) -> tuple[str, int, int]:
        """File, line, col for a path into `document()`, e.g. ("environments", "live", "spec", "risk")."""
        if len(path) >= 2:
            section, name, rest = path[0], path[1], tuple(path[2:])
            if section == "secrets" and self.catalog_docs:
                doc = (
                    self.secret_docs.get(name, self.catalog_docs[0]) if isinstance(name, str) else self.catalog_docs[0]
                )
                line, col = doc.position(("spec", "secrets", *path[1:]))
                return doc.file, line, col
            if not isinstance(name, str):  # every other section is keyed by document name
                return ("", 0, 0)
            if section == "environments" and name in self.effective:
                return self.effective[name].locate(rest)
            if section == "declared" and name in self.effective:
                top = self.effective[name].layers[0]
                line, col = top.position(rest)
                return top.file, line, col
            if section in ("releases", "bases"):
                docs = self.release_docs if section == "releases" else self.base_docs
                if name in docs:
                    return docs[name].locate(rest)
        return ("", 0, 0)
