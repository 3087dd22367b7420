"""`qm diff` for a terminal: one block per environment (live first), then releases.

Styled with ANSI colours; `quantmatrix.render.terminal.echo` strips them where colour is off.
"""

from __future__ import annotations

from quantmatrix.diff.model import StateDiff
from quantmatrix.diff.rows import Row, environment_rows, policy_rows, release_rows, secret_rows, unchanged_count
from quantmatrix.render.inert import one_line
from quantmatrix.render.terminal import style
from quantmatrix.render.words import plural

RISK = "⚠ increases risk"
_MAX_WIDTH = 32  # a longer value overflows its column rather than pushing every line right


def _block(rows: list[Row]) -> list[str]:
    texts = [
        (one_line(f"{r.old} → {r.new}") if r.old or r.new else "", one_line(r.note) + (f"  {RISK}" if r.risky else ""))
        for r in rows
    ]
    columns = ([r.area for r in rows], [r.field for r in rows], *zip(*texts))
    widths = [min(max((len(x) for x in column), default=0), _MAX_WIDTH) for column in columns]
    lines = []
    for r, (change, note) in zip(rows, texts):
        note = note.ljust(widths[3]).replace(RISK, style(RISK, "red", bold=True))
        line = f"  {r.area:<{widths[0]}}  {one_line(r.field):<{widths[1]}}  {change:<{widths[2]}}  {note}  {style(one_line(r.location), 'cyan') if r.location else ''}"
        lines.append(line.rstrip())
    return lines


def render_text(diff: StateDiff) -> str:
    lines = [style(f"qm diff {one_line(diff.base)} → {one_line(diff.head)}", "white", bold=True), ""]
    if diff.empty:
        return "\n".join([*lines, "No changes to the desired state."]) + "\n"
    for env in diff.environments:
        risky = env.risk_increases
        header = f"environment {one_line(env.name)} [{one_line(env.mode)}] {env.status}"
        if risky:
            header += f" · {plural(len(risky), 'risk-increasing change')}"
        lines += [
            style(header, "red" if env.mode == "live" else "white", bold=True),
            *_block(environment_rows(env)),
            "",
        ]
    if diff.unchanged_environments:
        lines += [_unchanged(diff), ""]
    for release in diff.releases:
        header = f"release {one_line(release.name)} {release.status}"
        if release.compared_to:
            header += f" (compared with {one_line(release.compared_to)})"
        if release.migrations_added:
            header += " · adds migrations"
        lines += [style(header, "white", bold=True), *_block(release_rows(release)), ""]
    if diff.secrets:
        lines += [
            style("secret catalog (environments/secrets.yaml)", "white", bold=True),
            *_block(secret_rows(diff.secrets)),
            "",
        ]
    if not diff.policies.empty:
        lines += [style("policy pack (policies/)", "red", bold=True), *_block(policy_rows(diff.policies)), ""]
    lines.append(summary(diff))
    return "\n".join(lines) + "\n"


def _unchanged(diff: StateDiff) -> str:
    """A few unchanged environments by name; a fleet of them as a count per mode."""
    return (
        unchanged_count(diff, one_line) or f"environments unchanged: {one_line(', '.join(diff.unchanged_environments))}"
    )


def summary(diff: StateDiff) -> str:
    extra = ""
    if diff.secrets:
        extra += f", {plural(len(diff.secrets), 'catalog secret')}"
    if not diff.policies.empty:
        extra += (
            f", {plural(len(diff.policies.rules), 'policy rule')} ({plural(len(diff.policies.files), 'policy file')})"
        )
    return (
        f"{plural(len(diff.environments), 'environment')} and {plural(len(diff.releases), 'release')}{extra} change; "
        f"{plural(diff.risk_increases, 'risk-increasing change')}"
    )
