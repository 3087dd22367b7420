"""`change_document`: the diff as the policies see it, at `input.change`.

Shape (JSON; every `path` is a path into the policy input of the HEAD state — the base
state for something removed — so a rule can report it as its finding's `path`):

    {
      "base": "main@3f2a9c1d0e4b", "head": ".",
      "environments": {                         # only environments that differ
        "<env>": {
          "status": "added" | "removed" | "changed",
          "mode": "live",                       # head mode (base mode when removed)
          "increases_risk": true,               # anything below marked increases_risk
          "mode_change": Delta | null,          # changed environments only
          "release": Delta | null,              # the release pin
          "components": {"api": Delta, ...},    # versions the pinned release runs
          "migration_revision": Delta | null, "config_version": Delta | null,
          "analytics_logic_version": Delta | null,
          "risk": {"max_daily_loss": Delta, ...},   # numeric limits, higher = riskier
          "capital": Delta | null,              # spec.capital.limit
          "strategies": {
            "added":   {"<name>": {"version", "capital", "enabled", "path"}},
            "removed": {"<name>": {"version", "capital", "enabled", "path"}},
            "changed": {"<name>": {"version": Delta|null, "capital": Delta|null,
                                   "enabled": Delta|null, "params": [Delta], "path"}},
            "newly_enabled": ["<name>"],        # added enabled, or switched on
            "capital_increased": ["<name>"]     # an enabled strategy got more capital
          },
          "blocked_symbols": {"added": [..], "removed": [..], "path": [...]},
          "credentials": [Delta], "connections": [Delta], "other": [Delta],
          "base": {...}                         # the base effective spec (changed only)
        }
      },
      "releases": {
        "<version>": {"status": ..., "compared_to": "2026.11.1" | null,
                      "migrations_added": bool, "revision": Delta | null,
                      "changes": [Delta]}
      },

      "secrets": {                              # the secret catalog, only entries that differ
        "<NAME>": {"status": ..., "path": ["secrets", NAME],
                   "scope": {"old": "paper" | null, "new": "live" | null},
                   "toward_live": bool,         # an existing secret's scope moves to or from live
                   "provider": [Delta], "changes": [Delta]}   # names and paths only, no values
      },
      "policies": {                             # set when both sides were read from a source
        "files": [{"name": "policies/x.rego", "status": ...}],
        "rules": [{"name": "QM-SEP-004", "status": ..., "file": ..., "title": ...}]
      }
    }

    Delta = {"path": [...], "old": <value|null>, "new": <value|null>,
             "increases_risk": bool, "relative": <float|null>}

Values are the YAML values as loaded (secret references stay `{"secret": NAME}`); nothing
here is ever a secret value because the desired state holds none.
"""

from __future__ import annotations

from typing import Any

from quantmatrix.diff.model import (
    Change,
    EnvironmentDiff,
    PolicyChange,
    PolicyDiff,
    ReleaseDiff,
    SecretDiff,
    StateDiff,
    StrategyDiff,
)


def delta(change: Change | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "path": list(change.path),
        "old": change.old,
        "new": change.new,
        "increases_risk": change.increases_risk,
        "relative": change.relative,
    }


def _strategy_summary(s: StrategyDiff) -> dict[str, Any]:
    side = "new" if s.status == "added" else "old"

    def value(change: Change | None) -> Any:
        return getattr(change, side) if change is not None else None

    return {"version": value(s.version), "capital": value(s.capital), "enabled": value(s.enabled), "path": list(s.path)}


def _strategies(env: EnvironmentDiff) -> dict[str, Any]:
    return {
        "added": {s.name: _strategy_summary(s) for s in env.strategies if s.status == "added"},
        "removed": {s.name: _strategy_summary(s) for s in env.strategies if s.status == "removed"},
        "changed": {
            s.name: {
                "version": delta(s.version),
                "capital": delta(s.capital),
                "enabled": delta(s.enabled),
                "params": [delta(c) for c in s.params],
                "path": list(s.path),
            }
            for s in env.strategies
            if s.status == "changed"
        },
        "newly_enabled": [s.name for s in env.strategies if s.newly_enabled],
        "capital_increased": [s.name for s in env.strategies if s.capital is not None and s.capital.increases_risk],
    }


def environment_document(env: EnvironmentDiff) -> dict[str, Any]:
    return {
        "status": env.status,
        "mode": env.mode,
        "increases_risk": bool(env.risk_increases),
        "mode_change": delta(env.mode_change),
        "release": delta(env.release),
        "components": {c.key: delta(c) for c in env.components},
        "migration_revision": delta(env.migration_revision),
        "config_version": delta(env.config_version),
        "analytics_logic_version": delta(env.analytics_logic_version),
        "risk": {c.key: delta(c) for c in env.risk},
        "capital": delta(env.capital),
        "strategies": _strategies(env),
        "blocked_symbols": {
            "added": list(env.blocked_added),
            "removed": list(env.blocked_removed),
            "path": list(env.blocked_path),
        },
        "credentials": [delta(c) for c in env.credentials],
        "connections": [delta(c) for c in env.connections],
        "other": [delta(c) for c in env.other],
        "base": env.base_spec,
    }


def release_document(release: ReleaseDiff) -> dict[str, Any]:
    return {
        "status": release.status,
        "compared_to": release.compared_to,
        "migrations_added": release.migrations_added,
        "revision": delta(release.revision),
        "changes": [delta(c) for c in release.changes],
    }


def secret_document(secret: SecretDiff) -> dict[str, Any]:
    old, new = secret.scope
    return {
        "status": secret.status,
        "path": list(secret.path),
        "scope": {"old": old, "new": new},
        "toward_live": secret.toward_live,
        "provider": [delta(c) for c in secret.provider_changes],
        "changes": [delta(c) for c in secret.changes],
    }


def _policy_change(change: PolicyChange) -> dict[str, Any]:
    return {"name": change.name, "status": change.status, "file": change.file, "title": change.title}


def policies_document(policies: PolicyDiff) -> dict[str, Any]:
    return {"files": [_policy_change(c) for c in policies.files], "rules": [_policy_change(c) for c in policies.rules]}


def change_document(diff: StateDiff) -> dict[str, Any]:
    """The JSON-compatible `input.change` for the policy pack (shape in the module docstring)."""
    return {
        "base": diff.base,
        "head": diff.head,
        "environments": {env.name: environment_document(env) for env in diff.environments},
        "releases": {release.name: release_document(release) for release in diff.releases},
        "secrets": {secret.name: secret_document(secret) for secret in diff.secrets},
        "policies": policies_document(diff.policies),
    }
