"""GitHub Actions workflow commands: each finding becomes an annotation on the PR's diff.

`::error` for denials (and for warnings under `--fail-on-warn`, since they fail the gate),
`::warning` for warnings, `::notice` for waived findings. Every part is first made inert (secrets redacted, control and
bidi characters shown as `\\x1b`, `\\u202e`: quantmatrix/render/inert.py),
then escaped the way the runner unescapes it (`%`, CR, LF in the message; also `:` and `,`
in properties), so neither a message nor a file name can start a workflow command of its own. GitHub shows at
most 10 error and 10 warning annotations per step: the log keeps every line, and the last
line is the summary.
"""

from __future__ import annotations

from quantmatrix.policy.findings import CheckResult, Finding
from quantmatrix.policy.formats.common import fails, ordered, summary_line, target
from quantmatrix.redaction import redact_text
from quantmatrix.render.inert import escape_controls


def escape_data(text: str) -> str:
    text = escape_controls(redact_text(text), keep="\r\n")  # CR and LF: the runner's own escapes
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    """`::name key=value,...::message` with every part escaped; empty properties left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value not in ("", 0)
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _annotation(name: str, finding: Finding, title: str, message: str) -> str:
    return command(name, message, file=finding.file, line=finding.line, col=finding.col, title=title)


def render(result: CheckResult) -> str:
    lines = []
    for finding in ordered(result.findings):
        name = "error" if fails(finding, result) else "warning"
        title = f"{finding.rule.id} {finding.rule.title}"
        lines.append(_annotation(name, finding, title, f"{finding.message} [{target(finding)}]"))
    for finding in ordered(result.waived):
        waiver = finding.waiver
        accepted = (
            f"waived: {waiver.reason} (approved by {waiver.approver}, expires {waiver.expires})" if waiver else "waived"
        )
        title = f"{finding.rule.id} {finding.rule.title} (waived)"
        lines.append(_annotation("notice", finding, title, f"{finding.message} — {accepted}"))
    lines.append(f"qm check: {summary_line(result)}")
    return "\n".join(lines) + "\n"
