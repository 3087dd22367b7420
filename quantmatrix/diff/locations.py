"""Where a diff points, for people and tools in the repository: every location and policy file
of a `StateDiff` named from the git root (`deploy/environments/live.yaml:46` when the desired
state lives in `deploy/`), and a location only the base holds (something removed) named
git-style by the base ref (`main:deploy/environments/paper.yaml:12`), as `qm check` names a
problem of its base: nobody looks for it in the work tree.

`diff_states` locates values relative to the state's own root: that is what the policies see
at `input.change` (paths into the state, like the rest of the policy input). This module
rebases them for the reports only.
"""

from __future__ import annotations

from dataclasses import replace

from quantmatrix.diff.model import (
    Change,
    EnvironmentDiff,
    Path,
    PolicyChange,
    PolicyDiff,
    ReleaseDiff,
    SecretDiff,
    StateDiff,
    StrategyDiff,
)
from quantmatrix.repo.source import Source, from_git_root


class _Namer:
    """Rebase a `file:line` location of the head or of the base."""

    def __init__(self, head: Source, base: Source, base_ref: str):
        self.head, self.base, self.base_ref = head, base, base_ref

    def file(self, file: str, in_base: bool) -> str:
        if not file:
            return file
        if in_base:
            return f"{self.base_ref}:{from_git_root(file, self.base)}"
        return from_git_root(file, self.head)

    def location(self, location: str, in_base: bool) -> str:
        file, colon, line = location.rpartition(":")
        if colon and line.isdigit():  # `file:line`
            return f"{self.file(file, in_base)}:{line}"
        return self.file(location, in_base)

    def change(self, change: Change | None, in_base: bool | None = None) -> Change | None:
        """A value's change; located in the base when it is gone from the head, unless the
        caller knows better (`in_base`)."""
        if change is None:
            return None
        side = change.new is None if in_base is None else in_base
        return replace(change, location=self.location(change.location, side))

    def changes(self, changes: tuple[Change, ...], in_base: bool | None = None) -> tuple[Change, ...]:
        return tuple(c for c in (self.change(c, in_base) for c in changes) if c is not None)


def _strategy(s: StrategyDiff, name: _Namer) -> StrategyDiff:
    return replace(
        s,
        location=name.location(s.location, s.status == "removed"),
        version=name.change(s.version),
        capital=name.change(s.capital),
        enabled=name.change(s.enabled),
        params=name.changes(s.params),
        other=name.changes(s.other),
    )


def _environment(env: EnvironmentDiff, name: _Namer) -> EnvironmentDiff:
    return replace(
        env,
        mode_change=name.change(env.mode_change),
        release=name.change(env.release),
        components=name.changes(env.components),
        migration_revision=name.change(env.migration_revision),
        config_version=name.change(env.config_version),
        analytics_logic_version=name.change(env.analytics_logic_version),
        risk=name.changes(env.risk),
        capital=name.change(env.capital),
        strategies=tuple(_strategy(s, name) for s in env.strategies),
        blocked_location=name.location(env.blocked_location, env.status == "removed"),
        credentials=name.changes(env.credentials),
        connections=name.changes(env.connections),
        other=name.changes(env.other),
    )


def _release(release: ReleaseDiff, name: _Namer) -> ReleaseDiff:
    # a release's fields are located in the head's manifest, a removed field at its parent
    # (a removed release has no changes listed)
    return replace(release, changes=name.changes(release.changes, False), revision=name.change(release.revision, False))


def _secret(secret: SecretDiff, name: _Namer) -> SecretDiff:
    return replace(
        secret,
        location=name.location(secret.location, secret.status == "removed"),
        changes=name.changes(secret.changes),
    )


def _policy(change: PolicyChange, name: _Namer, is_file: bool) -> PolicyChange:
    removed = change.status == "removed"
    if is_file:  # a file of the pack: its path is its name
        return replace(change, name=name.file(change.name, removed))
    return replace(change, file=name.file(change.file, removed))


def rooted(diff: StateDiff, head: Source, base: Source, base_ref: str) -> StateDiff:
    """`diff` with its locations named from the git root (base-only ones as `BASE_REF:file`)."""
    name = _Namer(head, base, base_ref)
    policies = PolicyDiff(
        tuple(_policy(f, name, True) for f in diff.policies.files),
        tuple(_policy(r, name, False) for r in diff.policies.rules),
    )
    return replace(
        diff,
        environments=tuple(_environment(e, name) for e in diff.environments),
        releases=tuple(_release(r, name) for r in diff.releases),
        secrets=tuple(_secret(s, name) for s in diff.secrets),
        policies=policies,
    )


def located(diff: StateDiff) -> dict[Path, str]:
    """Path in the policy input → location, for every change, strategy, blocked-symbol list
    and catalog entry of `diff`: how the JSON report gives each of its entries a location."""
    found: dict[Path, str] = {}

    def add(*changes: Change | None) -> None:
        for change in changes:
            if change is not None:
                found[change.path] = change.location

    for env in diff.environments:
        add(env.mode_change, env.release, env.migration_revision, env.config_version, env.analytics_logic_version)
        add(env.capital, *env.components, *env.risk, *env.credentials, *env.connections, *env.other)
        for s in env.strategies:
            found[s.path] = s.location
            add(s.version, s.capital, s.enabled, *s.params, *s.other)
        if env.blocked_path:
            found[env.blocked_path] = env.blocked_location
    for release in diff.releases:
        add(release.revision, *release.changes)
    for secret in diff.secrets:
        found[secret.path] = secret.location
        add(*secret.changes)
    return found
