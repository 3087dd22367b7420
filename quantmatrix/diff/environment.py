"""Semantic diff of one environment: its effective document (after layering), base → head.

Every differing leaf is sorted into the section a reviewer looks for (mode, release pin,
risk limits, capital, credentials, connections, ...); what fits no section lands in `other`,
so nothing is silently dropped. Strategies are matched by name and blocked symbols compared
as sets, because their order in the file carries no meaning.

Risk direction: a higher limit or more capital is riskier; so is a strategy switched on, a
blocked symbol removed, `routes_live_orders` turned on, or a mode closer to live.

Strategies, blocked symbols and the release pin are read from the typed models; the rest is
compared leaf by leaf on the effective documents (the values as loaded, which the change
document reports), and every field that sorting names is a typed path of
`quantmatrix/diff/fields.py`, so a renamed model field fails mypy, not the diff.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from quantmatrix.diff.fields import (
    ANALYTICS_LOGIC_VERSION,
    BLOCKED_SYMBOLS,
    CAPITAL_LIMIT,
    CONFIG_VERSION,
    CONNECTIONS,
    CREDENTIALS,
    DATABASE_REVISION,
    METADATA,
    MODE,
    NAME,
    RELEASE,
    RELEASE_COMPONENTS,
    RELEASE_SPEC,
    RISK,
    RISK_CURRENCY,
    ROUTES_LIVE_ORDERS,
    SPEC,
    STRATEGIES,
    STRATEGY_CAPITAL,
    STRATEGY_ENABLED,
    STRATEGY_FIELDS,
    STRATEGY_PARAMS,
    STRATEGY_VERSION,
    Fields,
    under,
)
from quantmatrix.diff.leaves import MISSING, get_in, leaf_changes, present
from quantmatrix.diff.model import Change, EnvironmentDiff, Path, Status, StrategyDiff
from quantmatrix.model.common import mode_exposure
from quantmatrix.model.environment import EnvironmentSpec, Strategy
from quantmatrix.model.paths import read_path
from quantmatrix.model.release import Release
from quantmatrix.model.runtime import COMPONENTS

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState

_SPECIAL = {*STRATEGIES, *BLOCKED_SYMBOLS}  # spec fields with a diff of their own, left out of the leaves
# the paths of quantmatrix/diff/fields.py by section name, as tests/diff/test_typed_fields.py checks them
_CONNECTION_SECTIONS = {path[0] for path in CONNECTIONS if len(path) == 1}
_CONNECTION_FIELDS = {
    section: {path[1] for path in CONNECTIONS if len(path) == 2 and path[0] == section}
    for section in {path[0] for path in CONNECTIONS if len(path) == 2}
}
_CREDENTIAL_SECTIONS = {path[0] for path in CREDENTIALS}


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


def _release(state: DesiredState | None, version: str | None) -> Release | None:
    if state is None or version is None:
        return None
    return state.releases.get(version)


def _release_facts(sides: _Sides, old_pin: str | None, new_pin: str | None) -> dict[str, Any]:
    """Component versions, migration revision and config version the pinned release brings,
    read from the typed release models."""
    old_release, new_release = _release(sides.base, old_pin), _release(sides.head, new_pin)
    pin = new_pin if new_release is not None else old_pin

    def pinned(path: Fields) -> Change | None:
        old = read_path(old_release.spec, path) if old_release is not None else MISSING
        new = read_path(new_release.spec, path) if new_release is not None else MISSING
        if old == new or pin is None:
            return None
        return sides.change(("releases", pin, *RELEASE_SPEC, *path), old, new)

    components = (pinned((*RELEASE_COMPONENTS, name)) for name in COMPONENTS)  # the model's own field names
    return {
        "components": tuple(c for c in components if c is not None),
        "migration_revision": pinned(DATABASE_REVISION),
        "config_version": pinned(CONFIG_VERSION),
    }


class _Strategy(NamedTuple):
    """A strategy on one side of the diff: the typed model the diff reasons with, and the item
    of the effective document it was validated from."""

    position: int  # in the environment's list
    model: Strategy
    written: Mapping[str, Any]


def _strategies_of(state: DesiredState | None, name: str, spec: EnvironmentSpec | None) -> dict[str, _Strategy]:
    """name → the strategy, in list order."""
    if state is None or spec is None:
        return {}
    written = get_in(state.effective[name].data, (*SPEC, *STRATEGIES), [])
    out: dict[str, _Strategy] = {}
    for index, strategy in enumerate(spec.strategies):
        item = written[index] if isinstance(written, list) and index < len(written) else None
        out[strategy.name] = _Strategy(index, strategy, item if isinstance(item, dict) else {})
    return out


def _values(strategy: _Strategy | None) -> dict[str, Any]:
    """Its fields as the change document reports them: the value as loaded (a `capital: 30000`
    stays 30000; the model holds 30000.0), the model's default where the file leaves a field
    out; nothing for a strategy absent on that side."""
    return {**vars(strategy.model), **strategy.written} if strategy is not None else {}


def _strategies(
    sides: _Sides, env: str, base: dict[str, _Strategy], head: dict[str, _Strategy]
) -> tuple[StrategyDiff, ...]:
    found = (
        _strategy(sides, ("environments", env), base.get(name), head.get(name), head.get(name) or base[name])
        for name in [*head, *(n for n in base if n not in head)]
    )
    return tuple(s for s in found if s is not None)


def _strategy(
    sides: _Sides, env: Path, before: _Strategy | None, after: _Strategy | None, shown: _Strategy
) -> StrategyDiff | None:
    """One strategy's changes, field by field (None when it did not change); a capital raise or
    an enabling of a strategy that runs is risky. `shown`: the side its path points at."""
    if before is not None and after is not None and before.written == after.written:
        return None  # the common case, without filling in defaults
    old, new = _values(before), _values(after)
    if old == new:
        return None
    status: Status = "changed" if old and new else ("added" if new else "removed")
    prefix: Path = (*env, *SPEC, *STRATEGIES, shown.position)

    def field(path: Fields, risky: bool = False) -> Change | None:
        a, b = get_in(old, path, MISSING), get_in(new, path, MISSING)
        return None if a == b else sides.change(prefix + path, a, b, risky)

    def rest(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if (k,) not in STRATEGY_FIELDS}

    runs = after is not None and after.model.enabled
    raised = after is not None and _raised(before.model.capital if before is not None else MISSING, after.model.capital)
    switched_on = before is None or not before.model.enabled
    return StrategyDiff(
        name=shown.model.name,
        status=status,
        path=prefix,
        location=sides.locate(prefix, removed=status == "removed"),
        version=field(STRATEGY_VERSION),
        capital=field(STRATEGY_CAPITAL, risky=runs and raised),
        enabled=field(STRATEGY_ENABLED, risky=runs and switched_on),
        params=tuple(
            sides.change(prefix + STRATEGY_PARAMS + p, a, b)
            for p, a, b in leaf_changes(get_in(old, STRATEGY_PARAMS, {}), get_in(new, STRATEGY_PARAMS, {}))
        ),
        other=tuple(sides.change(prefix + p, a, b) for p, a, b in leaf_changes(rest(old), rest(new))),
    )


def _section(path: Path) -> str:
    """Which section of the diff a leaf of the effective spec belongs to."""
    if path == MODE:
        return "mode"
    if path == RELEASE:
        return "release"
    if len(path) == len(RISK) + 1 and under(path, RISK) and path != RISK_CURRENCY:
        return "risk"
    if path == CAPITAL_LIMIT:
        return "capital"
    if path == ANALYTICS_LOGIC_VERSION:
        return "analytics"
    if any(under(path, credentials) for credentials in CREDENTIALS):
        return "credentials"
    if any(under(path, connection) for connection in CONNECTIONS):
        return "connections"
    return "other"


def _spec(state: DesiredState | None, name: str) -> EnvironmentSpec | None:
    """The validated spec of environment `name`; None on a side it does not exist on. A loaded
    state has a model for each of its environments (the loader refuses one with problems)."""
    if state is None or name not in state.effective:
        return None
    env = state.environments.get(name)
    if env is None:
        raise ValueError(f"environment '{name}' has no validated model: the diff compares loaded states only")
    return env.spec


def _mode(state: DesiredState | None, name: str) -> str:
    env = state.environments.get(name) if state is not None else None
    return env.spec.mode.value if env is not None else ""


def diff_environment(name: str, base: DesiredState | None, head: DesiredState | None) -> EnvironmentDiff | None:
    """The diff of environment `name` between two states (absent on one side = added/removed);
    None when nothing differs."""
    sides = _Sides(base, head)
    old = base.effective[name].data if base is not None and name in base.effective else {}
    new = head.effective[name].data if head is not None and name in head.effective else {}
    old_env, new_env = _spec(base, name), _spec(head, name)
    status: Status = "changed" if old and new else ("added" if new else "removed")
    old_spec, new_spec = get_in(old, SPEC) or {}, get_in(new, SPEC) or {}
    prefix: Path = ("environments", name)

    sections: dict[str, list[Change]] = {}

    def strip(spec: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in spec.items() if k not in _SPECIAL}

    for path, a, b in leaf_changes(strip(old_spec), strip(new_spec)):
        section = _section(path)
        risky = status != "removed" and (
            (section in ("risk", "capital") and _raised(a, b))
            or (path == ROUTES_LIVE_ORDERS and b is True)
            or (section == "mode" and a is not MISSING and mode_exposure(b) > mode_exposure(a))
        )
        sections.setdefault(section, []).append(sides.change((*prefix, *SPEC, *path), a, b, risky))

    def unnamed(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in (get_in(doc, METADATA) or {}).items() if (k,) != NAME}

    for path, a, b in leaf_changes(unnamed(old), unnamed(new)):  # description, extends, labels
        sections.setdefault("other", []).append(sides.change((*prefix, *METADATA, *path), a, b))

    strategies = _strategies(sides, name, _strategies_of(base, name, old_env), _strategies_of(head, name, new_env))
    blocked_old = old_env.blocked_symbols if old_env is not None else []
    blocked_new = new_env.blocked_symbols if new_env is not None else []
    facts = _release_facts(
        sides, old_env.release if old_env is not None else None, new_env.release if new_env is not None else None
    )
    blocked_path: Path = (*prefix, *SPEC, *BLOCKED_SYMBOLS)

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
        blocked_path=blocked_path,
        blocked_location=sides.locate(blocked_path, removed=status == "removed"),
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
