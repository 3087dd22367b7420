"""`qm release new`: propose a release by copying the previous manifest forward.

What carries over: component versions, strategy versions, analytics logic version and the
database revision — a new release starts as "the previous one, unchanged", and the author
edits what it changes. What does not: the change lists (emptied), the database migration
facts that belonged to the previous release's migrations (backward compatibility,
reversibility, backup), and all evidence — the checklist and the validation are left open so
the policy gate demands them before the release can reach live. `rollback.previous` names
the release it follows. Comments of the template survive (round-trip YAML); its header
comment, which described the previous release, is replaced by a note for the author.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml.comments import CommentedMap

from quantmatrix.edit.apply import read_text, write_edits
from quantmatrix.edit.roundtrip import clear, load_document, set_header, set_value
from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model.common import Version
from quantmatrix.model.versions import highest, version_key
from quantmatrix.repo.loader import RELEASES_DIR
from quantmatrix.state import DesiredState

_PREVIOUS_MIGRATION_FACTS = ("backward_compatible", "reversible", "backup_confirmed")


@dataclass(frozen=True)
class Scaffold:
    version: str
    previous: str
    file: str
    open_items: tuple[str, ...]  # what the author (and the gate) still needs


def check_version(version: str, what: str = "VERSION") -> None:
    """Refuse anything but an exact version, with the model's own message."""
    try:
        TypeAdapter(Version).validate_python(version)
    except ValidationError as exc:
        message = exc.errors(include_input=False)[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(Problem(subject=what, message=message)) from None


def scaffold_text(template: str, template_file: str, version: str, previous: str) -> str:
    """The new manifest's text: `template` (the previous release's file) carried forward."""
    doc = load_document(template_file, template)
    data = doc.data
    metadata, spec = data["metadata"], data["spec"]
    set_value(metadata, "name", version)
    if "description" in metadata:
        del metadata["description"]
    if spec.get("config_version") == previous:
        set_value(spec, "config_version", version)
    for key in _PREVIOUS_MIGRATION_FACTS:
        if key in spec.get("database", {}):
            del spec["database"][key]
    for items in (spec.get("changes") or {}).values():
        clear(items)
    rollback = spec.setdefault("rollback", CommentedMap())
    set_value(rollback, "previous", previous)
    set_value(rollback, "migrations_reversible", True)
    set_value(
        rollback,
        "plan",
        f"Halt trading if execution is affected, redeploy {previous} components and strategy versions, reconcile, resume.",
    )
    for evidence in ("checklist", "validation"):
        if isinstance(spec.get(evidence), CommentedMap):
            clear(spec[evidence])
        else:
            spec[evidence] = CommentedMap()
    header = [
        f"Release {version}, proposed from {previous} by `qm release new`. Versions are carried forward:",
        "edit what this release changes (components, strategies, database, analytics), list it under",
        "`changes`, add a metadata.description, and record the checklist; `validation.paper` is filled",
        "in after the paper run. The policy gate keeps it out of live until then.",
    ]
    return set_header(doc.dump(), header)


def write_release(state: DesiredState, root: str | Path, version: str, previous: str | None = None) -> Scaffold:
    """Write `releases/<version>.yaml` under `root` from `previous` (default: the highest
    release); `state` is the desired state loaded from `root` (`usecases.release` loads it)."""
    root = Path(root)
    check_version(version)
    previous = previous or highest(tuple(state.release_docs))
    if previous is None:
        raise ConfigError(Problem(RELEASES_DIR, message="no release to start from; write the first manifest by hand"))
    if previous not in state.release_docs:
        known = ", ".join(sorted(state.release_docs, key=version_key))
        raise ConfigError(
            Problem(subject="--from", message=f"no release {previous} in {RELEASES_DIR}/ (have: {known})")
        )
    if version in state.release_docs:
        raise ConfigError(
            Problem(
                state.release_docs[version].file, message=f"release {version} already exists; refusing to overwrite it"
            )
        )
    if version_key(version) <= version_key(previous):
        raise ConfigError(
            Problem(subject="VERSION", message=f"{version} is not newer than {previous}, the release it follows")
        )
    template_file = state.release_docs[previous].file
    suffix = template_file.rsplit(".", 1)[-1]
    target = f"{RELEASES_DIR}/{version}.{suffix}"
    template = read_text(root, template_file)
    write_edits(root, {target: scaffold_text(template, template_file, version, previous)}, create=(target,))
    return Scaffold(
        version, previous, target, ("metadata.description", "changes", "spec.checklist", "spec.validation.paper")
    )
