"""A repository's `policies/settings.yaml` over the built-in settings, within limits.

The built-in pack's settings (`quantmatrix/policies/settings.yaml`) are the floor. A
repository may tune thresholds, and may make the pack stricter, but may not make it weaker
by configuration: weakening what a rule enforces is done only with a bounded waiver of the
findings it produces (`policies/waivers.yaml`: approver on the list, expiry, one target).

Each setting has one limit, by dotted path (`*` is any one key):

- `any`: a threshold of a warning; any number (or text) of the same type.
- `lower` / `higher`: may only move in the stricter direction (`waivers.max_days` only
  down, `change.min_observation_days` only up).
- `add`: lists and detector maps are additive: entries are added to the built-in ones, a
  built-in entry can be neither removed nor changed (the live hosts of a broker, the secret
  formats).
- `own`: the `repository` mapping belongs to the repository's own rules
  (`data.qm.settings.repository`), free-form.

Every other setting is locked; a key the built-in settings do not have is a typo, and an
error. Each problem is reported at its line in the repository's file, and the gate stops
(exit 2): a refused override never silently falls back to the built-in value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from quantmatrix.errors import Problem

Limit = Literal["any", "lower", "higher", "add", "own"]

LIMITS: dict[str, Limit] = {
    "risk_ceilings.currency": "any",
    "risk_ceilings.*.*": "any",
    "first_live_release.*": "lower",
    "live_evidence.*": "lower",
    "brokers.*": "add",
    "hosts.brokers.*.*": "add",
    "hosts.market_data.*.*": "add",
    "secret_scan.min_token_length": "lower",
    "secret_scan.min_class_runs_ratio": "lower",
    "secret_scan.formats": "add",
    "change.min_observation_days": "higher",
    "change.max_step_increase": "lower",
    "waivers.max_days": "lower",
    "repository": "own",
}

Path = tuple[str, ...]
Locate = Callable[[Path], tuple[int, int]]


def _matches(pattern: tuple[str, ...], path: Path) -> bool:
    return len(pattern) == len(path) and all(p in ("*", k) for p, k in zip(pattern, path))


_PATTERNS = [(tuple(key.split(".")), limit) for key, limit in LIMITS.items()]


def limit_of(path: Path) -> Limit | None:
    """The limit of the setting at `path`, or None (locked, or a mapping to descend into)."""
    return next((limit for pattern, limit in _PATTERNS if _matches(pattern, path)), None)


def _may_hold(path: Path) -> bool:
    """Whether a new key at `path` can lead to an overridable setting (a new broker's hosts)."""
    return any(len(pattern) > len(path) and _matches(pattern[: len(path)], path) for pattern, _ in _PATTERNS)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_type(base: Any, value: Any) -> bool:
    return (_number(base) and _number(value)) or (isinstance(base, str) and isinstance(value, str))


class _Merge:
    def __init__(self, file: str, locate: Locate) -> None:
        self.file = file
        self.locate = locate
        self.problems: list[Problem] = []

    def refuse(self, path: Path, message: str) -> None:
        line, col = self.locate(path)
        self.problems.append(Problem(self.file, line, col, ".".join(path), message))

    def merge(self, base: Any, value: Any, path: Path) -> Any:
        limit = limit_of(path)
        if limit is None:
            return self._unlimited(base, value, path)
        if limit == "own":
            if not isinstance(value, Mapping):
                self.refuse(
                    path,
                    "must be a mapping (the repository's own settings, read by its rules as data.qm.settings.repository)",
                )
                return base
            return value
        if limit == "add":
            return self._add(base, value, path)
        return self._threshold(limit, base, value, path)

    def _unlimited(self, base: Any, value: Any, path: Path) -> Any:
        if isinstance(value, Mapping) and (isinstance(base, Mapping) or (base is None and _may_hold(path))):
            merged = dict(base or {})
            for key, item in value.items():
                if not isinstance(key, str):
                    self.refuse(path, f"key {key!r} is not text")
                    continue
                merged[key] = self.merge(merged.get(key), item, (*path, key))
            return merged
        if base is None:
            self.refuse(
                path, "not a setting of the built-in pack (a typo?); your own rules' settings go under `repository:`"
            )
        elif value != base:
            self.refuse(
                path,
                f"is locked: a repository may not change it (built-in: {base!r}); to accept a finding it produces, waive that finding (policies/waivers.yaml)",
            )
        return base

    def _threshold(self, limit: Limit, base: Any, value: Any, path: Path) -> Any:
        if base is None and limit != "any":
            self.refuse(path, "not a setting of the built-in pack (a typo?)")
            return base
        if not (_same_type(base, value) if base is not None else _number(value)):
            self.refuse(path, f"must be a {'number' if base is None or _number(base) else 'string'}, got {value!r}")
            return base
        if limit == "lower" and value > base:
            self.refuse(
                path,
                f"may only be lowered (made stricter) from the built-in {base!r}, not raised to {value!r}; to accept a finding, waive it",
            )
            return base
        if limit == "higher" and value < base:
            self.refuse(
                path,
                f"may only be raised (made stricter) from the built-in {base!r}, not lowered to {value!r}; to accept a finding, waive it",
            )
            return base
        return value

    def _add(self, base: Any, value: Any, path: Path) -> Any:
        if isinstance(base, Mapping) or (base is None and isinstance(value, Mapping)):
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
            ):
                self.refuse(path, "must be a mapping of names to non-empty strings, added to the built-in ones")
                return base
            base = base or {}
            for key, item in value.items():
                if key in base and base[key] != item:
                    self.refuse((*path, key), "is built in and cannot be changed; add yours under a new name")
            return {**value, **base}
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            self.refuse(path, "must be a list of non-empty strings, added to the built-in ones")
            return base
        base = list(base or [])
        return base + [item for item in dict.fromkeys(value) if item not in base]


def merge_settings(
    builtin: Mapping[str, Any], override: Any, file: str, locate: Locate
) -> tuple[dict[str, Any], list[Problem]]:
    """The built-in settings with the repository's `override` (parsed `file`) merged over them
    within `LIMITS`, and a problem per refused value (at its line, via `locate`)."""
    merger = _Merge(file, locate)
    if not isinstance(override, Mapping):
        merger.refuse((), "must be a mapping of settings")
        return dict(builtin), merger.problems
    merged = merger.merge(builtin, override, ())
    return dict(merged), merger.problems
