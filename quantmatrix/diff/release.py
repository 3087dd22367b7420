"""Semantic diff of one release manifest.

A changed release is compared with itself on the base side. An added release is compared
with the release it follows (`rollback.previous`, as present in head) for what it pins —
components, config version, database revision, strategies, analytics — because "what does
2026.12.0 run that 2026.11.1 did not" is the question a reviewer asks; its own record
(description, changes, rollback, checklist, validation) is shown as it stands.

A release *adds migrations* when its database revision differs from the one it is compared
with, or when its `changes.migrations` list gains entries (guide §10 asks for a review).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quantmatrix.diff.fields import (
    DATABASE_REVISION,
    MIGRATIONS_LISTED,
    RELEASE_ENVELOPE,
    RELEASE_METADATA,
    RELEASE_NAME,
    RELEASE_PINNED,
    RELEASE_SPEC,
)
from quantmatrix.diff.leaves import get_in, leaf_changes, present
from quantmatrix.diff.model import Change, Path, ReleaseDiff, Status

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState

_IGNORED = {name for (name,) in RELEASE_ENVELOPE}
PINNED = tuple(name for (name,) in RELEASE_PINNED)
_REVISION = (*RELEASE_SPEC, *DATABASE_REVISION)
_MIGRATIONS = (*RELEASE_SPEC, *MIGRATIONS_LISTED)


def _doc(state: DesiredState | None, name: str | None) -> dict[str, Any]:
    if state is None or name is None or name not in state.release_docs:
        return {}
    return {k: v for k, v in state.release_docs[name].data.items() if k not in _IGNORED}


def _where(state: DesiredState | None, path: Path) -> str:
    if state is None:
        return ""
    file, line, _ = state.locate(path)
    return f"{file}:{line}" if line else file


def diff_release(name: str, base: DesiredState | None, head: DesiredState | None) -> ReleaseDiff | None:
    """The diff of release `name`; None when the manifest did not change."""
    in_base = base is not None and name in base.release_docs
    in_head = head is not None and name in head.release_docs
    status: Status
    if in_base and in_head:
        status, compared_to, old = "changed", None, _doc(base, name)
    elif in_head:
        model = head.releases.get(name) if head is not None else None
        compared_to = model.spec.rollback.previous if model is not None else None
        previous_spec = get_in(_doc(head, compared_to), RELEASE_SPEC) or {}
        status, old = "added", {RELEASE_SPEC[0]: {k: previous_spec[k] for k in PINNED if k in previous_spec}}
    else:
        return ReleaseDiff(name=name, status="removed")
    new = _doc(head, name)
    if status == "changed" and old == new:
        return None

    def unnamed(doc: dict[str, Any]) -> dict[str, Any]:
        metadata = get_in(doc, RELEASE_METADATA) or {}
        return {
            **doc,
            RELEASE_METADATA[0]: {k: v for k, v in metadata.items() if (*RELEASE_METADATA, k) != RELEASE_NAME},
        }

    changes = tuple(
        Change(("releases", name, *p), present(a), present(b), _where(head, ("releases", name, *p)))
        for p, a, b in leaf_changes(unnamed(old), unnamed(new))
    )
    revision = next((c for c in changes if c.path[2:] == _REVISION), None)
    old_migrations = get_in(old, _MIGRATIONS, []) if status == "changed" else []
    listed = [m for m in get_in(new, _MIGRATIONS, []) or [] if m not in (old_migrations or [])]
    return ReleaseDiff(
        name=name,
        status=status,
        compared_to=compared_to,
        changes=changes,
        revision=revision,
        migrations_added=revision is not None or bool(listed),
    )
