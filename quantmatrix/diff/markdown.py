"""The PR summary: `qm diff --format markdown`, comment-ready (GitHub-flavoured markdown).

Layout: a headline (what changes, how many risk-increasing changes, the gate's verdict),
a table of release pins and component versions for every environment, then one section
per changed environment — live first, then paper, then the others — with risk-increasing
rows flagged ⚠️ and their new value in bold, then the releases, then the policy gate result
(`qm check` on the head with the change, so delta rules apply). The first line is the hidden
marker the workflow looks for to update the same comment on every push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantmatrix.diff.model import EnvironmentDiff, Pins, PolicyDiff, ReleaseDiff, StateDiff
from quantmatrix.diff.rows import Row, environment_rows, release_rows, secret_rows, unchanged_count
from quantmatrix.diff.values import NOTHING
from quantmatrix.model.runtime import COMPONENTS
from quantmatrix.policy.formats.markdown import render as render_check
from quantmatrix.policy.formats.markdown import verdict_line
from quantmatrix.render.markdown import code_span as code
from quantmatrix.render.markdown import prose as text
from quantmatrix.render.markdown import table
from quantmatrix.render.words import plural

if TYPE_CHECKING:
    from quantmatrix.policy.findings import CheckResult

MARKER = "<!-- qm-pr-summary -->"
_MODE_ICON = {"live": "🔴 ", "paper": "🟡 "}
_IN_PINS_TABLE = {"release", *COMPONENTS, "migration revision", "analytics logic"}


def _value(value: str, emphasise: bool = False) -> str:
    if value in ("", NOTHING):
        return value
    return f"**{code(value)}**" if emphasise else code(value)


def _pair(old: str | None, new: str | None) -> str:
    """`a` → **`b`** when it changes, `a` when it does not."""
    old, new = old or NOTHING, new or NOTHING
    return _value(new) if old == new else f"{_value(old)} → {_value(new, emphasise=True)}"


def _pins_table(pins: tuple[Pins, ...]) -> list[str]:
    header = ["Environment", "Mode", "Release", *COMPONENTS, "Migration", "Analytics logic"]
    rows = []
    for p in pins:
        changed = p.release[0] != p.release[1] or any(o != n for _, o, n in p.components)
        name = f"**{text(p.environment)}**" if changed else text(p.environment)
        rows.append(
            [
                name,
                text(p.mode),
                _pair(*p.release),
                *(_pair(o, n) for _, o, n in p.components),
                _pair(*p.migration_revision),
                _pair(*p.analytics_logic_version),
            ]
        )
    return table(header, rows)


def _row_cells(row: Row) -> list[str]:
    note = text(row.note)
    if row.risky:
        note = f"⚠️ **{note or 'increases risk'}**"
    return [text(row.area), code(row.field), _value(row.old), _value(row.new, emphasise=row.risky), note]


def _environment(env: EnvironmentDiff) -> list[str]:
    risky = env.risk_increases
    title = f"### {_MODE_ICON.get(env.mode, '')}{text(env.name)} · {text(env.mode)} · {env.status}"
    if risky:
        title += f" · ⚠️ {plural(len(risky), 'risk-increasing change')}"
    rows = [r for r in environment_rows(env) if not (r.area in ("Release", "Mode") and r.field in _IN_PINS_TABLE)]
    lines = [title, ""]
    if rows:
        lines += [*table(["Area", "Field", "Base", "Head", "Change"], [_row_cells(r) for r in rows]), ""]
    elif env.status == "changed":
        lines += ["Release pin and versions only (see the table above).", ""]
    return lines


def _release(release: ReleaseDiff) -> list[str]:
    title = f"#### {code(release.name)} · {release.status}"
    if release.compared_to:
        title += f" (compared with {code(release.compared_to)})"
    if release.migrations_added:
        title += " · 🗄️ adds migrations"
    rows = release_rows(release)
    lines = [title, ""]
    if rows:
        lines += [
            *table(["Field", "Base", "Head"], [[code(r.field), _value(r.old), _value(r.new, True)] for r in rows]),
            "",
        ]
    return lines


def _secrets(diff: StateDiff) -> list[Row]:
    return secret_rows(diff.secrets)


def _policies(policies: PolicyDiff) -> list[str]:
    """Every changed policy file and every rule added, removed or changed, by id: the review
    sees what the change does to the gate itself."""
    lines = [
        "### 🛡️ Policy pack changes",
        "",
        "The gate judges this change with the base branch's pack too (`qm check --base --base-pack`).",
        "",
    ]
    lines += [*table(["Policy file", "Change"], [[code(f.name), f.status] for f in policies.files]), ""]
    if policies.rules:
        lines += [
            *table(
                ["Rule", "Change", "Title", "File"],
                [[code(r.name), f"**{r.status}**", text(r.title), code(r.file)] for r in policies.rules],
            ),
            "",
        ]
    else:
        lines += ["No rule added, removed or changed (settings, tests or helpers only).", ""]
    return lines


def render_markdown(diff: StateDiff, check: CheckResult | None = None, check_note: str = "") -> str:
    """The PR comment. `check`: the gate's result on the head (with the change), if it ran;
    `check_note`: why it did not, shown in its place."""
    headline = f"{code(diff.base)} → {code(diff.head)}: "
    if diff.empty:
        headline += "no change to the desired state"
    else:
        headline += f"**{plural(len(diff.environments), 'environment')}** and **{plural(len(diff.releases), 'release')}** change"
        if diff.secrets:
            headline += f" · **{plural(len(diff.secrets), 'catalog secret')}**"
        if not diff.policies.empty:
            headline += f" · 🛡️ **{plural(len(diff.policies.rules), 'policy rule')}** changed in **{plural(len(diff.policies.files), 'policy file')}**"
        if diff.risk_increases:
            headline += f" · ⚠️ **{plural(diff.risk_increases, 'risk-increasing change')}**"
    if check is not None:
        headline += f" · policy gate {verdict_line(check)}"
    lines = [MARKER, "## QuantMatrix deploy plan", "", headline, ""]
    if diff.pins:
        lines += ["### Release pins and component versions", "", *_pins_table(diff.pins), ""]
    for env in diff.environments:
        lines += _environment(env)
    if diff.unchanged_environments:
        named = "Unchanged: " + ", ".join(code(n) for n in diff.unchanged_environments)
        lines += [(unchanged_count(diff, text) or named) + ".", ""]
    if diff.releases:
        lines += ["### Releases", ""]
        for release in diff.releases:
            lines += _release(release)
    if diff.secrets:
        rows = [
            [
                code(r.area),
                code(r.field),
                _value(r.old),
                _value(r.new, emphasise=r.risky),
                f"⚠️ **{text(r.note)}**" if r.risky else text(r.note),
            ]
            for r in _secrets(diff)
        ]
        lines += ["### Secret catalog", "", *table(["Secret", "Field", "Base", "Head", "Change"], rows), ""]
    if not diff.policies.empty:
        lines += _policies(diff.policies)
    if check is not None:
        lines.append(render_check(check))
    elif check_note:
        lines += ["### Policy gate", "", text(check_note), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
