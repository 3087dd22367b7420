"""Load the desired state: every file parsed, layered, validated and cross-checked.

This is the one way the rest of the system reads desired state. It reports every problem
at once and returns an immutable `DesiredState` that policy, diff, plan and apply share.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any, Mapping

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model import API_VERSION, Environment, EnvironmentBase, Release, SecretCatalog
from quantmatrix.repo.layering import Layered, layer
from quantmatrix.repo.migrations import check_migrations
from quantmatrix.repo.parallel import parse_files
from quantmatrix.repo.references import check_references
from quantmatrix.repo.source import Source, open_source
from quantmatrix.repo.validate import validate_model
from quantmatrix.repo.yamlfile import Path, YamlDocument

ENVIRONMENTS_DIR = "environments"
RELEASES_DIR = "releases"
CATALOG_FILE = f"{ENVIRONMENTS_DIR}/secrets.yaml"
# A large fleet splits its catalog (one file per scope or team): every file here is a part of
# it, read after CATALOG_FILE. Each file keeps the per-file size limit.
CATALOG_DIR = f"{ENVIRONMENTS_DIR}/secrets"
FOLDERS = (ENVIRONMENTS_DIR, CATALOG_DIR, RELEASES_DIR)

_ALLOWED_KINDS = {
    ENVIRONMENTS_DIR: ("Environment", "EnvironmentBase", "SecretCatalog"),
    CATALOG_DIR: ("SecretCatalog",),
    RELEASES_DIR: ("Release",),
}


@dataclass(frozen=True)
class DesiredState:
    """Everything in `environments/` and `releases/`, validated. Read-only by convention and
    by construction (mapping proxies): render once, pass around, never re-read files."""

    source: str
    environments: Mapping[str, Environment]
    releases: Mapping[str, Release]
    catalog: SecretCatalog | None  # every catalog file's entries as one catalog (metadata: the first file's)
    effective: Mapping[str, Layered]  # environment name → effective document + layers
    release_docs: Mapping[str, YamlDocument]
    catalog_docs: tuple[YamlDocument, ...]  # CATALOG_FILE, then CATALOG_DIR's files, by name
    base_docs: Mapping[str, YamlDocument] = field(default_factory=dict)
    secret_docs: Mapping[str, YamlDocument] = field(default_factory=dict)  # secret → catalog file declaring it

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
                doc = self.secret_docs.get(name, self.catalog_docs[0]) if isinstance(name, str) else self.catalog_docs[0]
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


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def _envelope_problems(doc: YamlDocument, folder: str) -> list[Problem]:
    """apiVersion / kind / metadata.name checks that come before the model: they decide which
    model applies, and the name must match the file so that two files cannot claim one name."""
    problems = []
    data = doc.data

    def at(path: Path, message: str) -> None:
        line, col = doc.position(path)
        problems.append(Problem(doc.file, line, col, ".".join(map(str, path)), message))

    if data.get("apiVersion") != API_VERSION:
        at(("apiVersion",), f"must be {API_VERSION}" if "apiVersion" in data else f"required field is missing (expected {API_VERSION})")
    kind = data.get("kind")
    allowed = _ALLOWED_KINDS[folder]
    if kind not in allowed:
        got = f"'{kind}'" if isinstance(kind, str) else "missing"
        at(("kind",), f"kind {got} is not allowed in {folder}/ (expected {' or '.join(allowed)})")
    name = (data.get("metadata") or {}).get("name") if isinstance(data.get("metadata"), dict) else None
    if not isinstance(name, str):
        at(("metadata", "name") if isinstance(data.get("metadata"), dict) else ("metadata",), "metadata.name is required")
    elif name != _stem(doc.file):
        at(("metadata", "name"), f"name '{name}' does not match the file name '{_stem(doc.file)}'")
    is_base = _stem(doc.file).startswith("_")
    if doc.file.rsplit(".", 1)[0] == CATALOG_FILE.rsplit(".", 1)[0] and kind != "SecretCatalog":
        at(("kind",), f"{CATALOG_FILE} is the secret catalog: use kind SecretCatalog")
    if kind == "EnvironmentBase" and not is_base:
        at(("kind",), "an EnvironmentBase file's name must start with '_' (e.g. _base.yaml)")
    if kind == "Environment" and is_base:
        at(("kind",), "files starting with '_' are bases: use kind EnvironmentBase")
    return problems


@dataclass
class _Parsed:
    docs: dict[str, list[YamlDocument]]  # folder → documents whose envelope is right
    names: dict[str, set[str]]  # folder → name of every file, readable or not
    problems: list[Problem]


def _read_all(source: Source) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]], dict[str, list[Problem]]]:
    """(folder, path) of every file, the contents of those that could be read, and the
    problems of those that could not."""
    listed = [(folder, path) for folder in FOLDERS for path in source.files(folder)]
    contents: list[tuple[str, bytes]] = []
    unreadable: dict[str, list[Problem]] = {}
    for _, path in listed:
        try:
            contents.append((path, source.read(path)))
        except ConfigError as exc:
            unreadable[path] = list(exc.problems)
    return listed, contents, unreadable


def _parse_all(source: Source) -> _Parsed:
    parsed = _Parsed({folder: [] for folder in FOLDERS}, {folder: set() for folder in FOLDERS}, [])
    listed, contents, unreadable = _read_all(source)
    # every file is read first, then all are parsed in one batch (on two CPUs when it is large)
    results = dict(zip((path for path, _ in contents), parse_files(contents)))
    seen: dict[str, str] = {}
    for folder, path in listed:
        result = results[path] if path in results else unreadable[path]
        doc: YamlDocument | None = None
        if isinstance(result, YamlDocument):
            doc = result
        else:  # unreadable or unparsable: its problems, in file order
            parsed.problems.extend(result)
        key = f"{folder}/{_stem(path)}"
        if key in seen:  # live.yaml and live.yml: which one is live?
            line, col = doc.position(("metadata", "name")) if doc else (1, 1)
            parsed.problems.append(
                Problem(path, line, col, "metadata.name", f"'{_stem(path)}' is already defined by {seen[key]}; keep one file per name")
            )
            continue
        seen[key] = path
        parsed.names[folder].add(_stem(path))
        if doc is None:
            continue
        envelope = _envelope_problems(doc, folder)
        if envelope:
            parsed.problems.extend(envelope)
            continue
        parsed.docs[folder].append(doc)
    return parsed


def _resolve_bases(
    doc: YamlDocument, bases: dict[str, YamlDocument], unreadable: set[str]
) -> tuple[list[YamlDocument], list[Problem], bool]:
    """The chain of bases under `doc` (nearest first), its problems, and whether it is whole.
    A base whose file is broken has its own problems: the environment adds none."""
    chain: list[YamlDocument] = []
    current = doc
    while True:
        parent = (current.data.get("metadata") or {}).get("extends")
        if parent is None:
            return chain, [], True
        line, col = current.position(("metadata", "extends"))
        if not isinstance(parent, str):
            return chain, [Problem(current.file, line, col, "metadata.extends", "must be the name of a base, e.g. _base")], False
        if parent in unreadable:
            return chain, [], False
        if parent not in bases:
            return chain, [Problem(current.file, line, col, "metadata.extends", f"base '{parent}' not found in {ENVIRONMENTS_DIR}/")], False
        if bases[parent] in chain:
            return chain, [Problem(current.file, line, col, "metadata.extends", f"base '{parent}' extends itself in a cycle")], False
        current = bases[parent]
        chain.append(current)


def load_source(source: Source) -> DesiredState:
    """Load and check everything in `source`; raise `ConfigError` with every problem found."""
    # Loading allocates ~10^6 small dicts, tuples and strings and no reference cycles: the
    # cyclic garbage collector would run hundreds of times for nothing (a quarter of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_source(source)
    finally:
        if collecting:
            gc.enable()


def _load_source(source: Source) -> DesiredState:
    parsed = _parse_all(source)
    docs, problems = parsed.docs, parsed.problems
    env_docs = [d for d in docs[ENVIRONMENTS_DIR] if d.data["kind"] == "Environment"]
    base_docs = {d.data["metadata"]["name"]: d for d in docs[ENVIRONMENTS_DIR] if d.data["kind"] == "EnvironmentBase"}
    catalog_docs = [d for d in docs[ENVIRONMENTS_DIR] if d.data["kind"] == "SecretCatalog"]

    unreadable_bases = {n for n in parsed.names[ENVIRONMENTS_DIR] if n.startswith("_")} - set(base_docs)
    for base in base_docs.values():
        problems.extend(validate_model(EnvironmentBase, base.data, base.locate)[1])

    catalog_docs = [d for d in catalog_docs if _is_catalog_file(d, problems)] + docs[CATALOG_DIR]
    catalog, secret_docs = _catalog(catalog_docs, problems)

    environments: dict[str, Environment] = {}
    effective: dict[str, Layered] = {}
    for doc in env_docs:
        chain, found, whole = _resolve_bases(doc, base_docs, unreadable_bases)
        problems.extend(found)
        layered = layer(doc, chain)
        name = doc.data["metadata"]["name"]
        effective[name] = layered
        if not whole:  # without its base, every field the base supplies would be "missing": noise
            continue
        model, found = validate_model(Environment, layered.data, layered.locate)
        problems.extend(found)
        if model is not None:
            environments[name] = model

    releases: dict[str, Release] = {}
    release_docs: dict[str, YamlDocument] = {}
    for doc in docs[RELEASES_DIR]:
        release, found = validate_model(Release, doc.data, doc.locate)
        problems.extend(found)
        release_docs[doc.data["metadata"]["name"]] = doc
        if release is not None:
            releases[release.metadata.name] = release

    if not env_docs and not problems:
        problems.append(Problem(f"{source.label}/{ENVIRONMENTS_DIR}", message="no environment files found"))

    state = DesiredState(
        source=source.label,
        environments=MappingProxyType(environments),
        releases=MappingProxyType(releases),
        catalog=catalog,
        effective=MappingProxyType(effective),
        release_docs=MappingProxyType(release_docs),
        catalog_docs=tuple(catalog_docs),
        base_docs=MappingProxyType(base_docs),
        secret_docs=MappingProxyType(secret_docs),
    )
    problems.extend(check_references(state, parsed.names[RELEASES_DIR], _declared_secrets(state, parsed)))
    problems.extend(check_migrations(state, source))
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))  # a base's problem shows once, not once per environment
    return state


def _is_catalog_file(doc: YamlDocument, problems: list[Problem]) -> bool:
    """Directly in environments/, only secrets.yaml may be a catalog."""
    if doc.file.rsplit(".", 1)[0] == CATALOG_FILE.rsplit(".", 1)[0]:
        return True
    line, col = doc.position(("kind",))
    problems.append(Problem(doc.file, line, col, "kind", f"the secret catalog lives in {CATALOG_FILE} or in {CATALOG_DIR}/"))
    return False


def _catalog(docs: list[YamlDocument], problems: list[Problem]) -> tuple[SecretCatalog | None, dict[str, YamlDocument]]:
    """Every catalog file validated on its own, then their entries as one catalog (None when
    there is no catalog or a file is invalid), and which file declares each secret. A name
    declared twice is an error at the second declaration: which scope would it have?"""
    secret_docs: dict[str, YamlDocument] = {}
    parts: list[SecretCatalog] = []
    for doc in docs:
        part, found = validate_model(SecretCatalog, doc.data, doc.locate)
        problems.extend(found)
        if part is not None:
            parts.append(part)
        spec = doc.data.get("spec")
        entries = spec.get("secrets") if isinstance(spec, dict) else None
        for name in entries if isinstance(entries, dict) else ():
            first = secret_docs.setdefault(name, doc)
            if first is not doc:
                line, col = doc.position(("spec", "secrets", name))
                where = ":".join(map(str, first.locate(("spec", "secrets", name))[:2]))
                problems.append(Problem(doc.file, line, col, f"spec.secrets.{name}", f"secret {name} is already declared in {where}; declare each secret once"))
    if not parts or len(parts) != len(docs):
        return None, secret_docs
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update((name, entry) for name, entry in part.spec.secrets.items() if name not in merged)
    whole = parts[0]
    return whole.model_copy(update={"spec": whole.spec.model_copy(update={"secrets": merged})}), secret_docs


def _declared_secrets(state: DesiredState, parsed: _Parsed) -> set[str] | None:
    """Secret names the catalog declares (invalid entries have their own problems; their names
    still count); None when a catalog file exists but cannot be read at all."""
    readable = {(doc.file.rsplit("/", 1)[0], _stem(doc.file)) for doc in state.catalog_docs}
    listed = {(CATALOG_DIR, name) for name in parsed.names[CATALOG_DIR]}
    if _stem(CATALOG_FILE) in parsed.names[ENVIRONMENTS_DIR]:
        listed.add((ENVIRONMENTS_DIR, _stem(CATALOG_FILE)))
    if listed - readable:  # a catalog file that cannot be read: its names are unknown
        return None
    if state.catalog is not None:
        return set(state.catalog.spec.secrets)
    for doc in state.catalog_docs:
        spec = doc.data.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("secrets"), dict):
            return None
    return set(state.secrets())


def load(path: str | FsPath = ".", ref: str | None = None) -> DesiredState:
    """Load the desired state from a directory, or from `ref` of the git repository at `path`."""
    return load_source(open_source(path, ref))
