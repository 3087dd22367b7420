"""Text report: readable at a glance in a terminal or a CI log.

Grouped by target, environments first and live first (a live denial is the one to read
before anything else), waived findings in their own section with who accepted them until
when, and one summary line. The text is styled with ANSI colours; `quantmatrix.render.terminal.echo`
strips them where colour is off (not a TTY, `NO_COLOR`), and `click.unstyle` does for files.
"""

from __future__ import annotations

from quantmatrix.policy.findings import CheckResult, Finding
from quantmatrix.policy.formats.common import by_target, mode_of, summary_line
from quantmatrix.render.inert import one_line
from quantmatrix.render.terminal import style

_LABEL = {"deny": ("DENY", "red"), "warn": ("WARN", "yellow")}


def _line(label: str, colour: str, finding: Finding) -> str:
    where = finding.location() or "-"
    return f"  {style(label, colour, bold=True)} {one_line(finding.rule.id)} {style(where, 'cyan')}  {one_line(finding.message)}"


def _header(target: str, result: CheckResult) -> str:
    kind, _, name = target.partition("/")
    mode = mode_of(name, result.modes) if kind == "environment" else ""
    suffix = f" [{mode}]" if mode and mode != name else ""
    return style(f"{target}{suffix}", "red" if mode == "live" else "reset", bold=True)


def _waiver_line(finding: Finding) -> str:
    waiver = finding.waiver
    if waiver is None:
        return "         waived (no waiver details)"
    source = (
        f" ({waiver.file}:{waiver.line})"
        if waiver.file and waiver.line
        else (f" ({waiver.file})" if waiver.file else "")
    )
    return f"         reason: {one_line(waiver.reason)} · approver: {one_line(waiver.approver)} · expires: {one_line(waiver.expires)}{one_line(source)}"


def render(result: CheckResult) -> str:
    rules = f"{len(result.rules)} rule" + ("" if len(result.rules) == 1 else "s")
    lines = [style(f"qm check {one_line(result.source)} ({result.engine} engine, {rules})", "reset", bold=True), ""]
    for target, findings in by_target(result.findings, result.modes):
        lines.append(_header(target, result))
        lines.extend(_line(*_LABEL[f.severity], f) for f in findings)
        lines.append("")
    if not result.findings:
        lines += [style("No active findings.", "green"), ""]
    if result.waived:
        lines.append(style(f"Waived ({len(result.waived)})", "blue", bold=True))
        for target, findings in by_target(result.waived, result.modes):
            for finding in findings:
                lines.append(_line("WAIVED", "blue", finding) + f"  [{target}]")
                lines.append(_waiver_line(finding))
        lines.append("")
    lines.append(style(summary_line(result), "green" if result.passed else "red", bold=True))
    return "\n".join(lines) + "\n"
