"""The diff as rows of text — area, field, base, head, note — that every renderer lays out.

Text and markdown differ in layout only; what a row says (labels, relative change, risk
flag, what an added strategy looks like) is decided once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from quantmatrix.diff.fields import CAPITAL, SPEC
from quantmatrix.diff.model import Change, EnvironmentDiff, PolicyDiff, ReleaseDiff, SecretDiff, StateDiff, StrategyDiff
from quantmatrix.diff.values import NOTHING, old_new, relative, show
from quantmatrix.redaction import redact_text
from quantmatrix.render.words import plural
from quantmatrix.repo.yamlfile import dotted

LIST_UNCHANGED = 10  # more unchanged environments than this are counted per mode, not named


@dataclass(frozen=True)
class Row:
    area: str  # "Release", "Risk limits", "Capital", "Strategies", "Blocked symbols", ...
    field: str
    old: str
    new: str
    note: str = ""
    risky: bool = False
    location: str = ""

    def __post_init__(self) -> None:
        # every text of a row is redacted once, here, whatever renders it (a strategy name, a
        # params key, an account can hold a pasted secret; values are also redacted by `show`)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, redact_text(value))


def _row(area: str, label: str, change: Change, note: str = "") -> Row:
    old, new = old_new(change)
    note = note or relative(change)
    return Row(area, label, old, new, note, change.increases_risk, change.location)


def _spec_label(change: Change) -> str:
    """`("environments", "live", "spec", "redis", "url")` → `redis.url`."""
    rest = change.path[3:] if change.path[2:3] == SPEC else change.path[2:]
    return dotted(rest)


def _strategy_rows(s: StrategyDiff) -> list[Row]:
    if s.status != "changed":
        facts = [
            f"{label} {show(c.new if s.status == 'added' else c.old)}"
            for label, c in (("version", s.version), ("capital", s.capital))
            if c
        ]
        enabled = s.enabled.new if s.status == "added" and s.enabled else (s.enabled.old if s.enabled else False)
        facts.append("enabled" if enabled else "disabled")
        summary = " · ".join(facts)
        old, new = (NOTHING, summary) if s.status == "added" else (summary, NOTHING)
        return [Row("Strategies", s.name, old, new, s.status, s.increases_risk, s.location)]
    rows = [
        _row("Strategies", f"{s.name} {label}", c)
        for label, c in (("version", s.version), ("capital", s.capital), ("enabled", s.enabled))
        if c
    ]
    rows += [_row("Strategies", f"{s.name} {dotted(c.path[5:])}", c) for c in (*s.params, *s.other)]
    return rows


def environment_rows(env: EnvironmentDiff) -> list[Row]:
    rows: list[Row] = []
    if env.mode_change is not None:
        rows.append(_row("Mode", "mode", env.mode_change))
    if env.release is not None:
        rows.append(_row("Release", "release", env.release))
    rows += [_row("Release", c.key, c) for c in env.components]
    for label, change in (
        ("migration revision", env.migration_revision),
        ("config version", env.config_version),
        ("analytics logic", env.analytics_logic_version),
    ):
        if change is not None:
            rows.append(_row("Release", label, change))
    rows += [_row("Risk limits", c.key, c) for c in env.risk]
    if env.capital is not None:
        rows.append(_row("Capital", "capital.limit", env.capital))
    capital_other = [c for c in env.other if c.path[3:4] == CAPITAL]
    rows += [_row("Capital", _spec_label(c), c) for c in capital_other]
    for s in env.strategies:
        rows += _strategy_rows(s)
    if env.blocked_removed:
        rows.append(
            Row(
                "Blocked symbols",
                "removed",
                ", ".join(env.blocked_removed),
                NOTHING,
                "no longer blocked",
                env.status != "removed",
                env.blocked_location,
            )
        )
    if env.blocked_added:
        rows.append(
            Row("Blocked symbols", "added", NOTHING, ", ".join(env.blocked_added), location=env.blocked_location)
        )
    rows += [_row("Credentials", _spec_label(c), c) for c in env.credentials]
    rows += [_row("Connections", _spec_label(c), c) for c in env.connections]
    other = [c for c in env.other if c not in capital_other]
    if env.status == "changed":
        rows += [_row("Other", _spec_label(c), c) for c in other]
    elif other:
        rows.append(Row("Other", f"{len(other)} other settings", "", "", env.status))
    return rows


def release_rows(release: ReleaseDiff) -> list[Row]:
    return [_row("", dotted(c.path[2:]).removeprefix("spec."), c) for c in release.changes]


def secret_rows(secrets: tuple[SecretDiff, ...]) -> list[Row]:
    """The secret catalog: one row per field of a changed entry, one row per added or removed
    entry (its scope and provider). Names and provider locations only: the catalog has no values."""
    rows: list[Row] = []
    for s in secrets:
        if s.status == "changed":
            for c in s.changes:
                note = "moves toward live" if c.increases_risk else ""
                rows.append(_row(s.name, dotted(c.path[2:]), c, note))
            continue
        entry = {dotted(c.path[2:]): show(c.new if s.status == "added" else c.old, c.key) for c in s.changes}
        facts = " · ".join(f"{k} {v}" for k, v in entry.items() if k != "description")
        old, new = (NOTHING, facts) if s.status == "added" else (facts, NOTHING)
        rows.append(Row(s.name, "entry", old, new, s.status, False, s.location))
    return rows


def policy_rows(policies: PolicyDiff) -> list[Row]:
    """Every changed file under policies/, then every rule added, removed or changed, by id."""
    rows = [Row("Policy files", f.name, "", "", f.status) for f in policies.files]
    rows += [
        Row("Rules", r.name, "", "", f"{r.status} · {r.title}" if r.title else r.status, location=r.file)
        for r in policies.rules
    ]
    return rows


def unchanged_count(diff: StateDiff, word: Callable[[str], str]) -> str | None:
    """ "999 environments unchanged (live 1, paper 998)": a fleet of unchanged environments
    counted per mode (live first), so that a pull request changing one of 1,000 does not
    print 999 names; None when there are few enough to name. `word` makes a mode name safe
    for the renderer's medium (`one_line` for a terminal, `prose` for markdown)."""
    names = diff.unchanged_environments
    if len(names) <= LIST_UNCHANGED:
        return None
    modes = {p.environment: p.mode for p in diff.pins}
    counts: dict[str, int] = {}
    for name in names:  # already ordered live first
        counts[modes.get(name, "")] = counts.get(modes.get(name, ""), 0) + 1
    per_mode = ", ".join(f"{word(mode) or 'no mode'} {count}" for mode, count in counts.items())
    return f"{plural(len(names), 'environment')} unchanged ({per_mode})"
