"""`diff_states`: the semantic diff of two desired states (e.g. `main` and a PR branch).

Both states come from the loader, so both are valid; the diff reads their effective
documents and never re-reads files. Environments are ordered live first, then paper, then
the others (what can lose real money first); releases by version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from quantmatrix.diff.catalog import diff_catalog
from quantmatrix.diff.environment import component, diff_environment
from quantmatrix.diff.model import EnvironmentDiff, Pins, ReleaseDiff, StateDiff
from quantmatrix.diff.release import diff_release
from quantmatrix.model.common import mode_rank
from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.model.versions import version_key

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState


def _union(*names: Iterable[str]) -> list[str]:
    out: dict[str, None] = {}
    for group in names:
        out.update(dict.fromkeys(group))
    return list(out)


def _pins(name: str, base: DesiredState, head: DesiredState) -> Pins:
    """What environment `name` runs on each side, read from the typed models (a renamed
    field is a type error here, not a silently empty column)."""
    envs = [state.environments.get(name) for state in (base, head)]
    releases = [
        state.releases.get(env.spec.release) if env is not None else None for state, env in zip((base, head), envs)
    ]

    def pair(read: Callable[[Any], Any], sides: list[Any]) -> tuple[Any, Any]:
        old, new = sides
        return (read(old) if old is not None else None, read(new) if new is not None else None)

    modes = [env.spec.mode.value for env in envs if env is not None]
    return Pins(
        environment=name,
        mode=modes[-1] if modes else "",
        release=pair(lambda e: e.spec.release, envs),
        components=tuple((c, *pair(component(c), releases)) for c in COMPONENTS),
        migration_revision=pair(lambda r: r.spec.database.revision, releases),
        analytics_logic_version=pair(lambda e: e.spec.analytics.logic_version, envs),
    )


def _order(mode: str, name: str) -> tuple[int, str]:
    """Environments in the one report order (`Mode.rank`: live first), then by name."""
    return (mode_rank(mode), name)


def _shared(name: str, base: DesiredState, head: DesiredState) -> bool:
    """The same effective document and the same pinned release object on both sides (a base
    loaded reusing the head: quantmatrix/repo/loader.py): nothing to compare."""
    layered = head.effective.get(name)
    if layered is None or base.effective.get(name) is not layered or name not in head.environments:
        return False
    release = head.environments[name].spec.release
    return base.release_docs.get(release) is head.release_docs.get(release)


def diff_states(base: DesiredState, head: DesiredState) -> StateDiff:
    """What changes from `base` to `head`, per environment, per release and per catalog secret."""
    environments: list[EnvironmentDiff] = []
    unchanged: list[str] = []
    names = _union(base.effective, head.effective)
    for name in names:
        if _shared(name, base, head):
            unchanged.append(name)
            continue
        found = diff_environment(
            name, base if name in base.effective else None, head if name in head.effective else None
        )
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
