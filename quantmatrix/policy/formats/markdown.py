"""Markdown report for a pull-request comment (GitHub-flavoured): the policy section of the
PR summary that `qm diff --format markdown` posts, and `qm check --format markdown`.

Findings are grouped by target, live first, denials before warnings, each with its
file:line. Everything taken from YAML or rule text goes through quantmatrix/render/markdown.py
(`code_span`, `prose`): a value must not be able to inject HTML
(or the summary's hidden marker) into the comment, break a table, or @-mention someone.
"""

from __future__ import annotations

from collections.abc import Mapping

from quantmatrix.policy.findings import CheckResult, Finding
from quantmatrix.policy.formats.common import by_target, summary_line
from quantmatrix.render.markdown import code_span as code
from quantmatrix.render.markdown import prose as text
from quantmatrix.render.markdown import table

_SEVERITY = {"deny": "❌ deny", "warn": "⚠️ warn"}


def _waiver(finding: Finding) -> str:
    w = finding.waiver
    return text(f"{w.reason} — {w.approver}, until {w.expires}") if w else ""


def _rows(findings: tuple[Finding, ...], modes: Mapping[str, str], waived: bool = False) -> list[list[str]]:
    rows = []
    for target, group in by_target(findings, modes):
        for f in group:
            label = "🔕 waived" if waived else _SEVERITY[f.severity]
            row = [label, code(f.rule.id), text(target), code(f.location() or "-"), text(f.message)]
            rows.append(row + [_waiver(f)] if waived else row)
    return rows


def verdict_line(result: CheckResult) -> str:
    """`❌ **failed** (2 denied, 1 warning, 0 waived)`."""
    counts = summary_line(result).rsplit(" — ", 1)[0]
    return f"{'✅' if result.passed else '❌'} **{'passed' if result.passed else 'failed'}** ({text(counts)})"


def render(result: CheckResult) -> str:
    rules = f"{len(result.rules)} rule" + ("" if len(result.rules) == 1 else "s")
    lines = [
        "### Policy gate",
        "",
        f"{verdict_line(result)} on {code(result.source)}, {result.engine} engine, {rules}.",
        "",
    ]
    header = ["", "Rule", "Target", "Where", "Message"]
    if result.findings:
        lines += [*table(header, _rows(result.findings, result.modes)), ""]
    if result.waived:
        lines += [f"<details><summary>Waived findings ({len(result.waived)})</summary>", ""]
        lines += [*table([*header, "Waiver"], _rows(result.waived, result.modes, waived=True)), "", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
