"""Generic structural diff: the leaves that differ between two JSON-like documents.

Mappings are compared key by key; lists, secret references (`{secret: NAME}`) and approval
records (`{by, at, reference}`) are single values — a list replaces what the base had, as in
layering, and an approval is re-recorded as a whole. An empty mapping or list is the same as
an absent one (the models' defaults). The sections of the semantic diff are built from these
leaves, so a field nobody thought of still shows up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from quantmatrix.diff.fields import APPROVAL
from quantmatrix.diff.model import Path
from quantmatrix.repo.references import is_secret_ref

MISSING: Any = object()
_APPROVAL_KEYS = frozenset(name for (name,) in APPROVAL)


def is_approval(value: Any) -> bool:
    """An approval record (`Approval`: who and when, at least)."""
    return isinstance(value, dict) and _APPROVAL_KEYS <= value.keys()


def _branch(value: Any) -> bool:
    """A mapping the diff descends into (not a leaf value)."""
    return isinstance(value, dict) and not is_secret_ref(value) and not is_approval(value)


def leaf_changes(old: Any, new: Any, path: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """(path, old, new) for every leaf that differs; `MISSING` on the side that lacks it."""
    if _same(old, new):
        return
    if _branch(old) or _branch(new):
        if (_branch(old) or _absent(old)) and (_branch(new) or _absent(new)):
            before, after = (old if _branch(old) else {}), (new if _branch(new) else {})
            for key in [*after, *(k for k in before if k not in after)]:
                yield from leaf_changes(before.get(key, MISSING), after.get(key, MISSING), path + (key,))
            return
    yield path, old, new


def _absent(value: Any) -> bool:
    """Absent, null or empty: the models treat them alike."""
    return value is MISSING or value is None or value == {} or value == []


def _same(old: Any, new: Any) -> bool:
    """Equal as data: 1 == 1.0 but True != 1; absent == empty."""
    if _absent(old) and _absent(new):
        return True
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return bool(old == new)


def present(value: Any) -> Any:
    """`MISSING` → None, for storing in a `Change`."""
    return None if value is MISSING else value


def get_in(data: Any, path: Path, default: Any = None) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data
