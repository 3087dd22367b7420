"""Load the desired state: every file parsed, layered, validated and cross-checked.

This is the one way the rest of the system reads desired state. It reports every problem
at once and returns an immutable `DesiredState` that policy, diff, plan and apply share.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model import API_VERSION, Environment, EnvironmentBase, Release, SecretCatalog, kind_of
from quantmatrix.repo.blobs import blob_id
from quantmatrix.repo.layering import layer
from quantmatrix.repo.migrations import check_migrations
from quantmatrix.repo.parallel import parse_files
from quantmatrix.repo.references import check_references
from quantmatrix.repo.source import GitSource, Source, open_source, problems_from_root
from quantmatrix.repo.validate import validate_model
from quantmatrix.repo.yamlfile import Path, YamlDocument
from quantmatrix.state import DesiredState, Layered, freeze, freeze_model

__all__ = [
    "CATALOG_DIR",
    "CATALOG_FILE",
    "ENVIRONMENTS_DIR",
    "RELEASES_DIR",
    "DesiredState",
    "load",
    "load_reported",
    "load_source",
]

ENVIRONMENTS_DIR = "environments"
RELEASES_DIR = "releases"
CATALOG_FILE = f"{ENVIRONMENTS_DIR}/secrets.yaml"
# A large fleet splits its catalog (one file per scope or team): every file here is a part of
# it, read after CATALOG_FILE. Each file keeps the per-file size limit.
CATALOG_DIR = f"{ENVIRONMENTS_DIR}/secrets"
FOLDERS = (ENVIRONMENTS_DIR, CATALOG_DIR, RELEASES_DIR)

_ENVIRONMENT, _BASE, _RELEASE, _CATALOG = (kind_of(m) for m in (Environment, EnvironmentBase, Release, SecretCatalog))
_ALLOWED_KINDS = {
    ENVIRONMENTS_DIR: (_ENVIRONMENT, _BASE, _CATALOG),
    CATALOG_DIR: (_CATALOG,),
    RELEASES_DIR: (_RELEASE,),
}


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
        at(
            ("apiVersion",),
            f"must be {API_VERSION}" if "apiVersion" in data else f"required field is missing (expected {API_VERSION})",
        )
    kind = data.get("kind")
    allowed = _ALLOWED_KINDS[folder]
    if kind not in allowed:
        got = f"'{kind}'" if isinstance(kind, str) else "missing"
        at(("kind",), f"kind {got} is not allowed in {folder}/ (expected {' or '.join(allowed)})")
    name = (data.get("metadata") or {}).get("name") if isinstance(data.get("metadata"), dict) else None
    if not isinstance(name, str):
        at(
            ("metadata", "name") if isinstance(data.get("metadata"), dict) else ("metadata",),
            "metadata.name is required",
        )
    elif name != _stem(doc.file):
        at(("metadata", "name"), f"name '{name}' does not match the file name '{_stem(doc.file)}'")
    is_base = _stem(doc.file).startswith("_")
    if doc.file.rsplit(".", 1)[0] == CATALOG_FILE.rsplit(".", 1)[0] and kind != _CATALOG:
        at(("kind",), f"{CATALOG_FILE} is the secret catalog: use kind {_CATALOG}")
    if kind == _BASE and not is_base:
        at(("kind",), "an EnvironmentBase file's name must start with '_' (e.g. _base.yaml)")
    if kind == _ENVIRONMENT and is_base:
        at(("kind",), f"files starting with '_' are bases: use kind {_BASE}")
    return problems


@dataclass
class _Parsed:
    docs: dict[str, list[YamlDocument]]  # folder → documents whose envelope is right
    names: dict[str, set[str]]  # folder → name of every file, readable or not
    problems: list[Problem]
    blobs: dict[str, str]  # path → git blob id of the bytes parsed


def _reusable(source: Source, listed: list[tuple[str, str]], reuse: DesiredState | None) -> dict[str, YamlDocument]:
    """The files of `source` whose bytes are those `reuse` parsed (same path, same blob id):
    their documents are taken as they are, without reading them. Only a git ref knows its
    blob ids without reading; content, not `git diff`, decides, so untracked files, index
    state and checkout filters cannot make a stale document look current."""
    if reuse is None or not isinstance(source, GitSource):
        return {}
    parsed = reuse.files()
    out = {}
    for _, path in listed:
        found = source.blob_id(path)
        if found is not None and found == reuse.blobs.get(path) and path in parsed:
            out[path] = parsed[path]
    source.skip_read_ahead(out)
    return out


def _read_all(
    source: Source, reuse: DesiredState | None
) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]], dict[str, list[Problem]], dict[str, YamlDocument]]:
    """(folder, path) of every file, the contents of those that could be read, the problems
    of those that could not, and the documents reused from `reuse` instead of reading."""
    listed = [(folder, path) for folder in FOLDERS for path in source.files(folder)]
    reused = _reusable(source, listed, reuse)
    contents: list[tuple[str, bytes]] = []
    unreadable: dict[str, list[Problem]] = {}
    for _, path in listed:
        if path in reused:
            continue
        try:
            contents.append((path, source.read(path)))
        except ConfigError as exc:
            unreadable[path] = list(exc.problems)
    return listed, contents, unreadable, reused


def _parse_all(source: Source, reuse: DesiredState | None) -> _Parsed:
    parsed = _Parsed({folder: [] for folder in FOLDERS}, {folder: set() for folder in FOLDERS}, [], {})
    listed, contents, unreadable, reused = _read_all(source, reuse)
    # every file is read first, then all are parsed in one batch (on two CPUs when it is large)
    results: dict[str, YamlDocument | list[Problem]] = dict(zip((path for path, _ in contents), parse_files(contents)))
    parsed.blobs = {path: blob_id(raw) for path, raw in contents}
    if reuse is not None:
        parsed.blobs.update((path, reuse.blobs[path]) for path in reused)
    seen: dict[str, str] = {}
    for folder, path in listed:
        doc: YamlDocument | None = reused.get(path)
        if doc is None:
            result = results[path] if path in results else unreadable[path]
            if isinstance(result, YamlDocument):  # frozen here: the state holds it, every reader shares it
                doc = YamlDocument(result.file, freeze(result.data), MappingProxyType(result.positions))
            else:  # unreadable or unparsable: its problems, in file order
                parsed.problems.extend(result)
        key = f"{folder}/{_stem(path)}"
        if key in seen:  # live.yaml and live.yml: which one is live?
            line, col = doc.position(("metadata", "name")) if doc else (1, 1)
            parsed.problems.append(
                Problem(
                    path,
                    line,
                    col,
                    "metadata.name",
                    f"'{_stem(path)}' is already defined by {seen[key]}; keep one file per name",
                )
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
            return (
                chain,
                [Problem(current.file, line, col, "metadata.extends", "must be the name of a base, e.g. _base")],
                False,
            )
        if parent in unreadable:
            return chain, [], False
        if parent not in bases:
            return (
                chain,
                [
                    Problem(
                        current.file, line, col, "metadata.extends", f"base '{parent}' not found in {ENVIRONMENTS_DIR}/"
                    )
                ],
                False,
            )
        if bases[parent] in chain:
            return (
                chain,
                [Problem(current.file, line, col, "metadata.extends", f"base '{parent}' extends itself in a cycle")],
                False,
            )
        current = bases[parent]
        chain.append(current)


def load_source(source: Source, reuse: DesiredState | None = None) -> DesiredState:
    """Load and check everything in `source`; raise `ConfigError` with every problem found.

    `reuse`: a state already loaded (a pull request's head) that `source` (its base, a git
    ref) mostly shares. A file whose bytes are the same is not read or parsed again, and an
    environment or release made only of such files is not layered or validated again: the
    base of a one-file change costs that file, plus the cross-file checks. The result
    equals a full load of `source` (tests/repo/test_partial_load.py)."""
    # Loading allocates ~10^6 small dicts, tuples and strings and no reference cycles: the
    # cyclic garbage collector would run hundreds of times for nothing (a quarter of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_source(source, reuse)
    finally:
        if collecting:
            gc.enable()


def _load_source(source: Source, reuse: DesiredState | None) -> DesiredState:
    parsed = _parse_all(source, reuse)
    same = _Same(reuse)
    docs, problems = parsed.docs, parsed.problems
    env_docs = [d for d in docs[ENVIRONMENTS_DIR] if d.data["kind"] == _ENVIRONMENT]
    base_docs = {d.data["metadata"]["name"]: d for d in docs[ENVIRONMENTS_DIR] if d.data["kind"] == _BASE}
    catalog_docs = [d for d in docs[ENVIRONMENTS_DIR] if d.data["kind"] == _CATALOG]

    unreadable_bases = {n for n in parsed.names[ENVIRONMENTS_DIR] if n.startswith("_")} - set(base_docs)
    for base in base_docs.values():
        if not same.doc(base):  # a base `reuse` holds validated there, without problems
            problems.extend(validate_model(EnvironmentBase, base.data, base.locate)[1])

    catalog_docs = [d for d in catalog_docs if _is_catalog_file(d, problems)] + docs[CATALOG_DIR]
    catalog, secret_docs = _catalog(catalog_docs, problems)
    catalog = freeze_model(catalog) if catalog is not None else None

    environments: dict[str, Environment] = {}
    effective: dict[str, Layered] = {}
    for doc in env_docs:
        chain, found, whole = _resolve_bases(doc, base_docs, unreadable_bases)
        problems.extend(found)
        name = doc.data["metadata"]["name"]
        if reuse is not None and same.environment(name, (doc, *chain)):
            effective[name], environments[name] = reuse.effective[name], reuse.environments[name]
            continue
        layered = layer(doc, chain)
        effective[name] = layered
        if not whole:  # without its base, every field the base supplies would be "missing": noise
            continue
        model, found = validate_model(Environment, layered.data, layered.locate)
        problems.extend(found)
        if model is not None:
            environments[name] = freeze_model(model)

    releases: dict[str, Release] = {}
    release_docs: dict[str, YamlDocument] = {}
    for doc in docs[RELEASES_DIR]:
        release_docs[doc.data["metadata"]["name"]] = doc
        if same.doc(doc) and reuse is not None and doc.data["metadata"]["name"] in reuse.releases:
            releases[doc.data["metadata"]["name"]] = reuse.releases[doc.data["metadata"]["name"]]
            continue
        release, found = validate_model(Release, doc.data, doc.locate)
        problems.extend(found)
        if release is not None:
            releases[release.metadata.name] = freeze_model(release)

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
        blobs=MappingProxyType(parsed.blobs),
    )
    declared = _declared_secrets(state, parsed)
    problems.extend(check_references(state, parsed.names[RELEASES_DIR], declared, same.checked(state, declared)))
    problems.extend(check_migrations(state, source))
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))  # a base's problem shows once, not once per environment
    return state


class _Same:
    """What a partial load takes from `reuse` as it is: documents it parsed (by identity),
    and the environments layered from exactly those documents."""

    def __init__(self, reuse: DesiredState | None):
        self.reuse = reuse
        self.files = reuse.files() if reuse is not None else {}

    def doc(self, doc: YamlDocument) -> bool:
        return self.files.get(doc.file) is doc

    def environment(self, name: str, layers: tuple[YamlDocument, ...]) -> bool:
        if self.reuse is None or name not in self.reuse.effective or name not in self.reuse.environments:
            return False
        held = self.reuse.effective[name].layers
        return len(held) == len(layers) and all(a is b for a, b in zip(held, layers))

    def checked(self, state: DesiredState, declared: set[str] | None) -> set[str]:
        """Environments taken from `reuse` whose references need no second look: `reuse` was
        loaded without problems, and the release they pin and the catalog's names are the same."""
        reuse = self.reuse
        if (
            reuse is None
            or declared is None
            or declared != (set(reuse.catalog.spec.secrets) if reuse.catalog else set())
        ):
            return set()
        return {
            name
            for name, layered in state.effective.items()
            if reuse.effective.get(name) is layered
            and name in state.environments
            and (release := state.environments[name].spec.release) in state.release_docs
            and state.release_docs[release] is reuse.release_docs.get(release)
            and state.releases.get(release) is reuse.releases.get(release)
        }


def _is_catalog_file(doc: YamlDocument, problems: list[Problem]) -> bool:
    """Directly in environments/, only secrets.yaml may be a catalog."""
    if doc.file.rsplit(".", 1)[0] == CATALOG_FILE.rsplit(".", 1)[0]:
        return True
    line, col = doc.position(("kind",))
    problems.append(
        Problem(doc.file, line, col, "kind", f"the secret catalog lives in {CATALOG_FILE} or in {CATALOG_DIR}/")
    )
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
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        col,
                        f"spec.secrets.{name}",
                        f"secret {name} is already declared in {where}; declare each secret once",
                    )
                )
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


def load_reported(source: Source, ref: str | None = None, reuse: DesiredState | None = None) -> DesiredState:
    """`load_source` for a report: problems name their files from the git root
    (`deploy/environments/live.yaml`), and in a ref git-style (`main:environments/live.yaml`)
    so that nobody looks for them in the work tree."""
    try:
        return load_source(source, reuse)
    except ConfigError as error:
        raise ConfigError(problems_from_root(error.problems, source, ref)) from None
