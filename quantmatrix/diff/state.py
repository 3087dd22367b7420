"""`diff_states`: the semantic diff of two desired states (e.g. `main` and a PR branch).

Both states come from the loader, so both are valid; the diff reads their effective
documents and never re-reads files. Environments are ordered live first, then paper, then
the others (what can lose real money first); releases by version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from quantmatrix.diff.catalog import diff_catalog
from quantmatrix.diff.environment import COMPONENTS, diff_environment
from quantmatrix.diff.leaves import get_in
from quantmatrix.diff.model import MODE_RANK, EnvironmentDiff, Pins, ReleaseDiff, StateDiff
from quantmatrix.diff.release import diff_release
from quantmatrix.release.versions import version_key

if TYPE_CHECKING:
    from quantmatrix.repo.loader import DesiredState


def _union(*names: Iterable[str]) -> list[str]:
    out: dict[str, None] = {}
    for group in names:
        out.update(dict.fromkeys(group))
    return list(out)


def _pins(name: str, base: DesiredState, head: DesiredState) -> Pins:
    sides = [state.effective[name].data.get("spec") or {} if name in state.effective else {} for state in (base, head)]
    releases = [
        (state.release_docs[spec["release"]].data.get("spec") or {}) if spec.get("release") in state.release_docs else {}
        for state, spec in zip((base, head), sides)
    ]

    def pair(docs: list[dict[str, Any]], *keys: str) -> tuple[Any, Any]:
        old, new = docs
        return get_in(old, keys), get_in(new, keys)

    return Pins(
        environment=name,
        mode=str(sides[1].get("mode") or sides[0].get("mode") or ""),
        release=pair(sides, "release"),
        components=tuple((c, *pair(releases, "components", c)) for c in COMPONENTS),
        migration_revision=pair(releases, "database", "revision"),
        analytics_logic_version=pair(sides, "analytics", "logic_version"),
    )


def _order(mode: str, name: str) -> tuple[int, str]:
    return (MODE_RANK.get(mode, len(MODE_RANK)), name)


def diff_states(base: DesiredState, head: DesiredState) -> StateDiff:
    """What changes from `base` to `head`, per environment, per release and per catalog secret."""
    environments: list[EnvironmentDiff] = []
    unchanged: list[str] = []
    names = _union(base.effective, head.effective)
    for name in names:
        found = diff_environment(name, base if name in base.effective else None, head if name in head.effective else None)
        if found is None:
            unchanged.append(name)
        else:
            environments.append(found)
    releases: list[ReleaseDiff] = []
    for name in sorted(_union(base.release_docs, head.release_docs), key=version_key):
        changed = diff_release(name, base, head)
        if changed is not None:
            releases.append(changed)
    pins = sorted((_pins(name, base, head) for name in names), key=lambda p: _order(p.mode, p.environment))
    modes = {p.environment: p.mode for p in pins}
    return StateDiff(
        base=base.source,
        head=head.source,
        environments=tuple(sorted(environments, key=lambda e: _order(e.mode, e.name))),
        releases=tuple(releases),
        unchanged_environments=tuple(sorted(unchanged, key=lambda n: _order(modes[n], n))),
        pins=tuple(pins),
        secrets=diff_catalog(base, head),
    )
