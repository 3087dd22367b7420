"""`qm rollback`'s decisions (guide §13): which release to return to, and whether the schema
allows it. The rollback itself is `apply(..., target_release=...)`: the same lock, gates,
journal, pause, checks and record as any apply, aimed at an earlier release.

- target: `--to`, else the running release's `rollback.previous` (the release being left
  says where it goes back to), else the pinned release's;
- when the target's migration revision is behind the running schema, the migrations in
  between are reversed only when the release being left and the release that introduced
  each of them (the earliest pinning it or a later revision) declare `database.reversible` and `rollback.migrations_reversible`; otherwise the
  rollback is refused before anything changes: "do not roll back blindly if migrations
  changed live data assumptions". An allowed reversal is the plan's own `migrations` step
  (`Desired.reverse`): alembic downgrade with the applied tree's scripts, journaled,
  asked "is it applied?" first and run in one transaction (each revision reversed at most
  once, even across a kill -9), while trading is paused (the mode's pause: live HALTED,
  paper REDUCING); the deployment record lists the revisions reversed.
"""

from __future__ import annotations

from quantmatrix.errors import Problem, Refused
from quantmatrix.model.release import Release
from quantmatrix.model.versions import version_key
from quantmatrix.state import DesiredState


def rollback_target(state: DesiredState, name: str, pinned: Release, running: str | None, to: str | None) -> Release:
    """The release to return to; Refused (exit 1) when there is none or it is what runs."""
    where = f"qm rollback {name}"
    if to is None:
        leaving = state.releases.get(running or "") or pinned
        to = leaving.spec.rollback.previous
        if to is None:
            raise Refused(
                Problem(
                    where, message=f"release {leaving.metadata.name} declares no rollback.previous: name one with --to"
                )
            )
    target = state.releases.get(to)
    if target is None:
        known = ", ".join(sorted(state.releases)) or "none"
        raise Refused(Problem(where, message=f"no release manifest {to!r} in releases/ (have: {known})"))
    if running == to:
        raise Refused(Problem(where, message=f"{to} is already the running release: nothing to roll back"))
    return target


def _introducer(state: DesiredState, chain: tuple[str, ...], revision: str) -> Release | None:
    """The release that brought `revision` in: the earliest (in version order) whose pinned
    revision is at or after it (releases move forward along the chain: `qm validate`)."""
    at = chain.index(revision)
    later = [
        r
        for r in state.releases.values()
        if r.spec.database.revision in chain and chain.index(r.spec.database.revision) >= at
    ]
    return min(later, key=lambda r: version_key(r.metadata.name), default=None)


def migration_refusal(
    state: DesiredState, running: str | None, target: Release, schema: str | None, chain: tuple[str, ...]
) -> str | None:
    """Why the schema forbids returning to `target` (None: it allows it, reversing what is in between)."""
    wanted = target.spec.database.revision
    if schema is None or schema == wanted:
        return None
    if schema not in chain or wanted not in chain:
        return f"the schema is at {schema} and {target.metadata.name} needs {wanted}; migrations/ does not order them: inspect it by hand"
    if chain.index(schema) < chain.index(wanted):
        return None  # the target is ahead of the schema: the apply path upgrades it
    between = chain[chain.index(wanted) + 1 : chain.index(schema) + 1]
    declarers = [r for r in (_introducer(state, chain, revision) for revision in between) if r is not None]
    if len(declarers) < len(between):
        declarers = []  # a revision no release brought in: nobody declared it reversible
    leaving = state.releases.get(running or "")
    if leaving is not None:
        declarers.append(leaving)
    not_reversible = sorted(
        {
            r.metadata.name
            for r in declarers
            if not (r.spec.database.reversible and r.spec.rollback.migrations_reversible)
        }
    )
    head = f"{target.metadata.name} needs schema {wanted} but it is at {schema} (migrations {', '.join(between)} would be reversed)"
    if not_reversible or not declarers:
        who = ", ".join(not_reversible) or "no release"
        return f"{head}; {who} does not declare them reversible (database.reversible and rollback.migrations_reversible): do not roll back blindly if migrations changed live data assumptions; trading left as it is"
    return None  # declared reversible by all of them: the rollback's migrations step downgrades
