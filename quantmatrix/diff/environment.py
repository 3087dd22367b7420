"""Semantic diff of one environment: its effective document (after layering), base → head.

Every differing leaf is sorted into the section a reviewer looks for (mode, release pin,
risk limits, capital, credentials, connections, ...); what fits no section lands in `other`,
so nothing is silently dropped. Strategies are matched by name and blocked symbols compared
as sets, because their order in the file carries no meaning.

Risk direction: a higher limit or more capital is riskier; so is a strategy switched on, a
blocked symbol removed, `routes_live_orders` turned on, or a mode closer to live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from quantmatrix.diff.leaves import MISSING, leaf_changes, present
from quantmatrix.diff.model import Change, EnvironmentDiff, Path, Status, StrategyDiff
from quantmatrix.model.common import mode_exposure
from quantmatrix.model.release import Release
from quantmatrix.model.runtime import COMPONENTS

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState

_CONNECTION_FIELDS = {
    "execution": {"broker", "account_type", "account", "endpoint", "routes_live_orders"},
    "market_data": {"provider", "feed", "endpoint"},
}
_CONNECTION_SECTIONS = {"redis", "postgres", "api"}
_CREDENTIAL_SECTIONS = {"execution", "market_data"}
_SPECIAL = {"strategies", "blocked_symbols"}


class _Sides:
    """The two states and how to locate a path in whichever side holds it."""

    def __init__(self, base: DesiredState | None, head: DesiredState | None):
        self.base, self.head = base, head

    def locate(self, path: Path, removed: bool = False) -> str:
        state = self.base if removed or self.head is None else self.head
        if state is None:
            return ""
        file, line, _ = state.locate(path)
        return f"{file}:{line}" if line else file

    def change(self, path: Path, old: Any, new: Any, increases_risk: bool = False) -> Change:
        old, new = present(old), present(new)
        return Change(path, old, new, self.locate(path, removed=new is None), increases_risk)


def _raised(old: Any, new: Any) -> bool:
    """A limit went up (or appeared where there was none)."""
    if new is MISSING or new is None:
        return False
    if old is MISSING or old is None:
        return True
    return isinstance(new, (int, float)) and isinstance(old, (int, float)) and new > old


def component(name: str) -> Callable[[Release], str]:
    """Reads component `name` (one of `COMPONENTS`, the model's own field names) of a release."""
    return lambda release: str(getattr(release.spec.components, name))


def _release(state: DesiredState | None, version: Any) -> Release | None:
    if state is None or not isinstance(version, str):
        return None
    return state.releases.get(version)


def _release_facts(sides: _Sides, old_pin: Any, new_pin: Any) -> dict[str, Any]:
    """Component versions, migration revision and config version the pinned release brings,
    read from the typed release models."""
    old_release, new_release = _release(sides.base, old_pin), _release(sides.head, new_pin)
    pin = new_pin if new_release is not None else old_pin

    def pinned(read: Callable[[Release], Any], *keys: str) -> Change | None:
        old = read(old_release) if old_release is not None else MISSING
        new = read(new_release) if new_release is not None else MISSING
        if old == new:
            return None
        return sides.change(("releases", pin, "spec", *keys), old, new)

    components = tuple(c for c in (pinned(component(name), "components", name) for name in COMPONENTS) if c is not None)
    return {
        "components": components,
        "migration_revision": pinned(lambda r: r.spec.database.revision, "database", "revision"),
        "config_version": pinned(lambda r: r.spec.config_version, "config_version"),
    }


def _strategy_map(items: list[Any]) -> dict[str, tuple[int, dict[str, Any]]]:
    """name → (index, strategy with the model's defaults filled in: disabled, no params)."""
    return {
        s["name"]: (i, {"enabled": False, "params": {}, **s})
        for i, s in enumerate(items)
        if isinstance(s, dict) and "name" in s
    }


def _strategies(sides: _Sides, env: str, old: list[Any], new: list[Any]) -> tuple[StrategyDiff, ...]:
    base, head = _strategy_map(old), _strategy_map(new)
    out = []
    for name in [*head, *(n for n in base if n not in head)]:
        before = base[name][1] if name in base else {}
        after = head[name][1] if name in head else {}
        if before == after:
            continue
        status: Status = "changed" if before and after else ("added" if after else "removed")
        prefix: Path = ("environments", env, "spec", "strategies", (head.get(name) or base[name])[0])
        out.append(_strategy(sides, name, status, prefix, before, after))
    return tuple(out)


_STRATEGY_FIELDS = {"name", "version", "capital", "enabled", "params"}


def _strategy(
    sides: _Sides, name: str, status: Status, prefix: Path, before: dict[str, Any], after: dict[str, Any]
) -> StrategyDiff:
    """One strategy's changes, field by field; a capital raise or an enabling of a strategy that
    runs is risky."""

    def field(key: str, risky: bool = False) -> Change | None:
        a, b = before.get(key, MISSING), after.get(key, MISSING)
        return None if a == b else sides.change(prefix + (key,), a, b, risky)

    def rest(strategy: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in strategy.items() if k not in _STRATEGY_FIELDS}

    runs = after.get("enabled") is True
    return StrategyDiff(
        name=name,
        status=status,
        path=prefix,
        location=sides.locate(prefix, removed=status == "removed"),
        version=field("version"),
        capital=field("capital", risky=runs and _raised(before.get("capital", MISSING), after.get("capital", MISSING))),
        enabled=field("enabled", risky=runs and before.get("enabled") is not True),
        params=tuple(
            sides.change(prefix + ("params", *p), a, b)
            for p, a, b in leaf_changes(before.get("params", {}), after.get("params", {}))
        ),
        other=tuple(sides.change(prefix + p, a, b) for p, a, b in leaf_changes(rest(before), rest(after))),
    )


def _section(path: Path) -> str:
    """Which section of the diff a leaf of the effective spec belongs to."""
    head = path[0] if path else ""
    if path == ("mode",):
        return "mode"
    if path == ("release",):
        return "release"
    if head == "risk" and len(path) == 2 and path[1] != "currency":
        return "risk"
    if path == ("capital", "limit"):
        return "capital"
    if path == ("analytics", "logic_version"):
        return "analytics"
    if head in _CREDENTIAL_SECTIONS and len(path) >= 2 and path[1] == "credentials":
        return "credentials"
    if head in _CONNECTION_SECTIONS or (
        head in _CONNECTION_FIELDS and len(path) == 2 and path[1] in _CONNECTION_FIELDS[head]
    ):
        return "connections"
    return "other"


def _mode(state: DesiredState | None, name: str) -> str:
    env = state.environments.get(name) if state is not None else None
    return env.spec.mode.value if env is not None else ""


def diff_environment(name: str, base: DesiredState | None, head: DesiredState | None) -> EnvironmentDiff | None:
    """The diff of environment `name` between two states (absent on one side = added/removed);
    None when nothing differs."""
    sides = _Sides(base, head)
    old = base.effective[name].data if base is not None and name in base.effective else {}
    new = head.effective[name].data if head is not None and name in head.effective else {}
    status: Status = "changed" if old and new else ("added" if new else "removed")
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    prefix: Path = ("environments", name)

    sections: dict[str, list[Change]] = {}

    def strip(spec: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in spec.items() if k not in _SPECIAL}

    for path, a, b in leaf_changes(strip(old_spec), strip(new_spec)):
        section = _section(path)
        risky = status != "removed" and (
            (section in ("risk", "capital") and _raised(a, b))
            or (path == ("execution", "routes_live_orders") and b is True)
            or (section == "mode" and a is not MISSING and mode_exposure(b) > mode_exposure(a))
        )
        sections.setdefault(section, []).append(sides.change(prefix + ("spec", *path), a, b, risky))

    def unnamed(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in (doc.get("metadata") or {}).items() if k != "name"}

    for path, a, b in leaf_changes(unnamed(old), unnamed(new)):  # description, extends, labels
        sections.setdefault("other", []).append(sides.change(prefix + ("metadata", *path), a, b))

    strategies = _strategies(sides, name, old_spec.get("strategies") or [], new_spec.get("strategies") or [])
    blocked_old, blocked_new = old_spec.get("blocked_symbols") or [], new_spec.get("blocked_symbols") or []
    facts = _release_facts(sides, old_spec.get("release"), new_spec.get("release"))

    def first(key: str) -> Change | None:
        found = sections.get(key)
        return found[0] if found else None

    diff = EnvironmentDiff(
        name=name,
        status=status,
        mode=_mode(head if status != "removed" else base, name),
        mode_change=first("mode") if status == "changed" else None,
        release=first("release"),
        analytics_logic_version=first("analytics"),
        risk=tuple(sections.get("risk", [])),
        capital=first("capital"),
        strategies=strategies,
        blocked_added=tuple(s for s in blocked_new if s not in blocked_old),
        blocked_removed=tuple(s for s in blocked_old if s not in blocked_new),
        blocked_path=prefix + ("spec", "blocked_symbols"),
        blocked_location=sides.locate(prefix + ("spec", "blocked_symbols"), removed=status == "removed"),
        credentials=tuple(sections.get("credentials", [])),
        connections=tuple(sections.get("connections", [])),
        other=tuple(sections.get("other", [])),
        base_spec=old_spec if status == "changed" else None,
        **facts,
    )
    unchanged = not (
        sections
        or strategies
        or diff.blocked_added
        or diff.blocked_removed
        or diff.components
        or diff.migration_revision
        or diff.config_version
    )
    return None if unchanged else diff
