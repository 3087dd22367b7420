"""What a semantic diff of the desired state is made of.

Plain frozen dataclasses: the diff is computed once (`diff_states`) and rendered by the text,
markdown and JSON renderers and by `change_document` for the policies. Every change carries
the path of its value in the policy input of the HEAD state (the BASE state for something
removed) and the file:line it was written at, so reviewers and rules can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

Path = tuple[str | int, ...]
Status = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    """One value, old → new. `None` stands for "not set" on that side."""

    path: Path
    old: Any = None
    new: Any = None
    location: str = ""  # file:line of the head value (base value when removed)
    increases_risk: bool = False

    @property
    def key(self) -> str:
        """The last key of the path, for labels ("max_daily_loss")."""
        return str(self.path[-1]) if self.path else ""

    @property
    def relative(self) -> float | None:
        """(new - old) / old for numbers on both sides, else None."""
        if _is_number(self.old) and _is_number(self.new) and self.old:
            return (self.new - self.old) / self.old
        return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class StrategyDiff:
    """A strategy of an environment's set, matched by name."""

    name: str
    status: Status
    path: Path  # the strategy's item in the head list (base list when removed)
    location: str = ""
    version: Change | None = None
    capital: Change | None = None
    enabled: Change | None = None
    params: tuple[Change, ...] = ()
    other: tuple[Change, ...] = ()

    @property
    def increases_risk(self) -> bool:
        return any(c is not None and c.increases_risk for c in (self.capital, self.enabled))

    @property
    def newly_enabled(self) -> bool:
        """It runs in head and did not in base: added enabled, or switched on."""
        return self.enabled is not None and self.enabled.new is True and self.enabled.old is not True


@dataclass(frozen=True)
class EnvironmentDiff:
    """One environment, effective (after layering), base → head."""

    name: str
    status: Status
    mode: str  # head mode (base mode when removed)
    mode_change: Change | None = None
    release: Change | None = None
    components: tuple[Change, ...] = ()  # api / workers / ui the pinned release runs
    migration_revision: Change | None = None
    config_version: Change | None = None
    analytics_logic_version: Change | None = None
    risk: tuple[Change, ...] = ()
    capital: Change | None = None
    strategies: tuple[StrategyDiff, ...] = ()
    blocked_added: tuple[str, ...] = ()
    blocked_removed: tuple[str, ...] = ()
    blocked_path: Path = ()
    blocked_location: str = ""
    credentials: tuple[Change, ...] = ()
    connections: tuple[Change, ...] = ()
    other: tuple[Change, ...] = ()
    base_spec: dict[str, Any] | None = None  # effective base spec, for rules that compare (never rendered)

    @property
    def risk_increases(self) -> tuple[str, ...]:
        """Labels of everything in this environment that makes it riskier."""
        out = [f"risk.{c.key}" for c in self.risk if c.increases_risk]
        if self.capital is not None and self.capital.increases_risk:
            out.append("capital.limit")
        out += [f"strategy {s.name}" for s in self.strategies if s.increases_risk]
        out += [f"blocked symbol {s} removed" for s in self.blocked_removed]
        out += [f"{'.'.join(map(str, c.path[3:]))}" for c in (*self.connections, *self.other) if c.increases_risk]
        if self.mode_change is not None and self.mode_change.increases_risk:
            out.append("mode")
        return tuple(out)


@dataclass(frozen=True)
class ReleaseDiff:
    """One release manifest. An added release is compared with the release it says it
    follows (`rollback.previous`), so reviewers see what it changes, not every field."""

    name: str
    status: Status
    compared_to: str | None = None  # base version of the comparison for an added release
    changes: tuple[Change, ...] = ()
    revision: Change | None = None
    migrations_added: bool = False


@dataclass(frozen=True)
class SecretDiff:
    """One entry of the secret catalog (`environments/secrets.yaml`): names, scope, provider
    and description only — the catalog holds no secret values, and the diff adds none."""

    name: str
    status: Status
    path: Path  # ("secrets", NAME): the entry in the policy input (base's when removed)
    location: str = ""
    scope: tuple[str | None, str | None] = (None, None)  # (base, head)
    changes: tuple[Change, ...] = ()  # every field that differs (scope, provider, description, owner)

    @property
    def toward_live(self) -> bool:
        """An existing secret whose scope moves to live, or away from live: a credential
        crosses the separation of environments (guide §3)."""
        old, new = self.scope
        return self.status == "changed" and old != new and "live" in (old, new)

    @property
    def provider_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.path[2:3] == ("provider",))


@dataclass(frozen=True)
class PolicyChange:
    """A file under `policies/` or a rule of the pack (by id) that differs, base → head."""

    name: str  # a file path, or a rule id
    status: Status
    file: str = ""  # for a rule: the file that defines it (head's, base's when removed)
    title: str = ""


@dataclass(frozen=True)
class PolicyDiff:
    """What a change does to the policy pack: the review must see it, and the gate judges
    the change with the base's pack too (`qm check --base REF --base-pack`)."""

    files: tuple[PolicyChange, ...] = ()
    rules: tuple[PolicyChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.files and not self.rules


@dataclass(frozen=True)
class Pins:
    """What an environment runs, base → head (None on the side it does not exist): the
    overview table of the PR summary lists every environment, changed or not."""

    environment: str
    mode: str
    release: tuple[str | None, str | None]
    components: tuple[tuple[str, str | None, str | None], ...]  # (component, old, new)
    migration_revision: tuple[str | None, str | None]
    analytics_logic_version: tuple[str | None, str | None]


@dataclass(frozen=True)
class StateDiff:
    base: str  # label of the base state, e.g. "main@3f2a…"
    head: str
    environments: tuple[EnvironmentDiff, ...] = ()  # live first, then paper, then the others
    releases: tuple[ReleaseDiff, ...] = ()
    unchanged_environments: tuple[str, ...] = ()
    pins: tuple[Pins, ...] = ()  # every environment, same order as `environments`
    secrets: tuple[SecretDiff, ...] = ()  # the secret catalog, by name
    policies: PolicyDiff = PolicyDiff()  # files under policies/ and rules, when both sides were read from a source

    @property
    def empty(self) -> bool:
        return not self.environments and not self.releases and not self.secrets and self.policies.empty

    @property
    def risk_increases(self) -> int:
        """Risk-increasing changes of the environments, plus catalog secrets moved toward live."""
        return sum(len(e.risk_increases) for e in self.environments) + sum(1 for s in self.secrets if s.toward_live)
