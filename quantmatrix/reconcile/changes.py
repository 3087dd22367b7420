"""The changes a deployment records (guide §16: "the configuration, migration and strategy
changes"), from the diff, not from what a release manifest claims.

The old side is the desired state of the commit the environment was last deployed from
successfully (its record's `commit`, loaded from git); the new side is the state being applied.
When the old side cannot be had — a first deployment, a record without a commit, a tree that is
not a git repository, a commit that is gone or no longer loads — the record says so and lists
the release manifest's declared changes, each marked `declared:`, rather than inventing a diff.
Secrets: the diff holds names only and redacts anything that looks like a pasted token; the
declared lines go through the same one-line redaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from quantmatrix.errors import QMError
from quantmatrix.reconcile.record import DeploymentChanges, changes_between
from quantmatrix.render.inert import one_line
from quantmatrix.runtime.store.deployments import last_deployment
from quantmatrix.state.desired import Layered
from quantmatrix.state.frozen import freeze, thaw

if TYPE_CHECKING:
    from quantmatrix.model.release import Release
    from quantmatrix.runtime.store import Store
    from quantmatrix.state import DesiredState

DECLARED = "declared: "


@dataclass(frozen=True)
class RecordedChanges:
    """The changes of one deployment and what they are based on (both stored in its record)."""

    changes: DeploymentChanges
    basis: str  # "diff from commit … of dep-…", or "previous state unknown (why): …"


def previous_state(store: Store, environment: str, root: str | Path) -> tuple[DesiredState | None, str]:
    """The desired state `environment` was last deployed from, and where it comes from;
    (None, why) when it is unknown. Read from git even when it is HEAD's commit: what is
    applied now may be a work tree with changes on top of it."""
    last = last_deployment(store, environment, "succeeded")
    if last is None:
        return None, "no earlier successful deployment of this environment"
    if last.commit is None:
        return None, f"{last.id} recorded no commit"
    where = f"commit {last.commit[:12]} of {last.id}"
    from quantmatrix.repo.loader import load

    try:
        return load(root, ref=last.commit), where
    except QMError as error:
        return None, f"{where} cannot be loaded: {error.problems[0].message if error.problems else error}"
    except OSError as error:  # no git at all
        return None, f"{where} cannot be loaded: {error.strerror or type(error).__name__}"


def declared_changes(release: Release) -> DeploymentChanges:
    """The release manifest's `changes`, marked as declared (its `risk` lines count as configuration)."""
    declared = release.spec.changes

    def mark(lines: list[str]) -> tuple[str, ...]:
        return tuple(one_line(DECLARED + line) for line in lines)

    return DeploymentChanges(
        mark([*declared.config, *declared.risk]), mark(declared.migrations), mark(declared.strategies)
    )


def pinned_to(state: DesiredState, environment: str, release: str) -> DesiredState:
    """`state` with `environment` pinned to `release`: what a rollback applies (the configuration
    of the commit, the services and schema of the release it returns to)."""
    layered, model = state.effective[environment], state.environments[environment]
    data = thaw(layered.data)
    data.setdefault("spec", {})["release"] = release
    pinned = model.model_copy(update={"spec": model.spec.model_copy(update={"release": release})})
    return replace(
        state,
        environments=MappingProxyType({**state.environments, environment: pinned}),  # the typed pin the diff reads
        effective=MappingProxyType({**state.effective, environment: Layered(freeze(data), layered.layers)}),
    )


def recorded_changes(
    state: DesiredState,
    store: Store,
    environment: str,
    root: str | Path,
    release: Release,
) -> RecordedChanges:
    """What deploying `release` to `environment` from `state` changes, against the state of the
    last successful deployment; the declared changes when that state is unknown."""
    old, where = previous_state(store, environment, root)
    if old is None:
        return RecordedChanges(
            declared_changes(release), f"previous state unknown ({where}): the release manifest's declared changes"
        )
    new = state
    if state.environments[environment].spec.release != release.metadata.name:  # a rollback
        new = pinned_to(state, environment, release.metadata.name)
    return RecordedChanges(changes_between(old, new, environment), f"diff from {where}")
