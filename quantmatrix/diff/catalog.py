"""Semantic diff of the secret catalog (`environments/secrets.yaml` and
`environments/secrets/*.yaml`), entry by entry.

The catalog is part of the desired state: a secret's scope decides which environments may
use it, so a scope moved to live (or away from it) is as much a change as a new endpoint.
Entries are matched by name; each differing field (scope, provider, description, owner) is
a `Change` at its path in the policy input (`secrets.<NAME>.<field>`). The catalog holds
names and where a value is provided (an environment variable or a file path), never a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quantmatrix.diff.fields import SECRET_SCOPE
from quantmatrix.diff.leaves import leaf_changes, present
from quantmatrix.diff.model import Change, SecretDiff, Status

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState


def _entries(state: DesiredState) -> dict[str, Any]:
    """Every entry, whichever catalog file declares it (secrets.yaml or secrets/*.yaml):
    moving an entry between files is no change; `_where` names the file it is in."""
    return state.secrets()


def _where(state: DesiredState, path: tuple[str | int, ...]) -> str:
    file, line, _ = state.locate(path)
    return f"{file}:{line}" if line else file


def _scope(state: DesiredState, name: str) -> str | None:
    """The entry's scope, read from the typed catalog; None where there is no such entry."""
    entry = state.catalog.spec.secrets.get(name) if state.catalog is not None else None
    return entry.scope.value if entry is not None else None


def diff_catalog(base: DesiredState, head: DesiredState) -> tuple[SecretDiff, ...]:
    """Every catalog entry added, removed or changed, sorted by name."""
    old_entries, new_entries = _entries(base), _entries(head)
    found: list[SecretDiff] = []
    for name in sorted({*old_entries, *new_entries}):
        old, new = old_entries.get(name), new_entries.get(name)
        status: Status = (
            "changed" if old is not None and new is not None else ("added" if new is not None else "removed")
        )
        side = base if status == "removed" else head
        path = ("secrets", name)
        scopes = (_scope(base, name), _scope(head, name))
        toward_live = status == "changed" and scopes[0] != scopes[1] and "live" in scopes
        changes = tuple(
            Change(
                (*path, *p),
                present(a),
                present(b),
                _where(head if present(b) is not None else base, (*path, *p)),
                toward_live and p == SECRET_SCOPE,
            )
            for p, a, b in leaf_changes(old or {}, new or {})
        )
        if status == "changed" and not changes:
            continue
        found.append(SecretDiff(name, status, path, _where(side, path), scopes, changes))
    return tuple(found)
