"""`qm history` output: text for a terminal, JSON for tools, markdown for the deployment record
a person files (guide §16: one section per deployment).

Everything in a record was written by the reconciler from names and versions, but its free
text (summaries, check messages, incident details, a break-glass reason) came from services
and operators: every string is treated as hostile — secret-looking tokens redacted, control
characters made visible, markdown made inert (code spans for ids and versions, escaped prose
for the rest) — in every format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from quantmatrix.reconcile.history import History
from quantmatrix.render.inert import one_line
from quantmatrix.render.markdown import code_span, table
from quantmatrix.render.markdown import prose as inline_prose
from quantmatrix.render.words import plural
from quantmatrix.runtime.store.deployments import DeploymentRecord

NONE = "—"
# A paragraph or a list item that opens with one of these is a block (heading, list,
# thematic break, setext underline), not text.
_LEADING_MARKER = re.compile(r"^(#|[-+=]|\d{1,9}(?=[.)]))")


def clean(value: str | None) -> str:
    """One line, secrets redacted, control and bidi characters visible."""
    return NONE if value is None else one_line(value)


def _when(moment: datetime | None) -> str:
    return NONE if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _duration(record: DeploymentRecord) -> str:
    if record.finished_at is None:
        return ""
    seconds = int((record.finished_at - record.started_at).total_seconds())
    return f"{seconds // 60}m {seconds % 60:02d}s"


def _validation_counts(record: DeploymentRecord) -> str:
    failed = sum(1 for check in record.validation if not check.passed)
    if not record.validation:
        return "none recorded"
    return f"{len(record.validation) - failed} passed, {failed} failed"


def _monitoring(record: DeploymentRecord) -> str:
    if record.monitoring_until is None:
        return "none recorded"
    intensity = f"{record.monitoring_intensity} " if record.monitoring_intensity else ""
    basis = f" ({record.monitoring_basis})" if record.monitoring_basis else ""
    return f"{intensity}until {_when(record.monitoring_until)}{basis}"


def _rollback(record: DeploymentRecord) -> str:
    if not record.rollback_used:
        return "no"
    return f"yes (rollback of {record.rollback_of})" if record.rollback_of else "yes"


def _headline(history: History) -> str:
    shown = len(history.records)
    since = f" since {_when(history.since)}" if history.since else ""
    if history.truncated or history.offset:
        first = history.offset + 1 if shown else history.offset
        return f"{plural(history.total, 'deployment')}{since}; showing {first}-{history.offset + shown}, newest first"
    return f"{plural(history.total, 'deployment')}{since}, newest first"


# --- text -----------------------------------------------------------------------------------


def render_text(history: History) -> str:
    lines = [f"deployment history of {clean(history.environment)} ({clean(history.store)}): {_headline(history)}"]
    for r in history.records:
        previous = f"{clean(r.previous_release)} → " if r.previous_release else ""
        mode = f" [{clean(r.mode)}]" if r.mode else ""
        lines += [
            "",
            f"{clean(r.id)}  {r.status}  {previous}{clean(r.release)}{mode}",
            f"  started     {_when(r.started_at)}"
            + (f"   finished {_when(r.finished_at)} ({_duration(r)})" if r.finished_at else "   (not finished)"),
            f"  operator    {clean(r.operator)}   engineer {clean(r.engineer)}",
            f"  commit      {clean(r.commit)}   config version {clean(r.config_version)}",
        ]
        if r.changes_basis:
            lines.append(f"  changes     {clean(r.changes_basis)}")
        for label, changes in (
            ("config", r.config_changes),
            ("migrations", r.migration_changes),
            ("strategies", r.strategy_changes),
        ):
            lines.append(f"  {label:<11} " + ("none" if not changes else clean(changes[0])))
            lines += [f"  {'':<11} {clean(change)}" for change in changes[1:]]
        failed = [c for c in r.validation if not c.passed]
        lines.append(
            f"  validation  {_validation_counts(r)}"
            + (": failed " + ", ".join(clean(c.name) for c in failed) if failed else "")
        )
        lines.append(f"  incidents   {len(r.incidents) or 'none'}")
        lines += [f"    [{clean(i.severity)}] {clean(i.kind)}: {clean(i.summary)}" for i in r.incidents]
        lines.append(f"  rollback    {clean(_rollback(r))}")
        if r.break_glass_reason:
            lines.append(f"  break-glass {clean(r.break_glass_reason)}")
        lines.append(f"  monitoring  {clean(_monitoring(r))}")
        if r.summary:
            lines.append(f"  summary     {clean(r.summary)}")
    if not history.records:
        lines += ["", "no deployments recorded"]
    return "\n".join(lines) + "\n"


# --- JSON -----------------------------------------------------------------------------------


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    return value


def render_json(history: History) -> str:
    """`{environment, store, total, offset, limit, since, deployments: [record, ...]}`; every
    record has every field of `DeploymentRecord` (times ISO 8601 UTC)."""
    document = {
        "environment": history.environment,
        "store": history.store,
        "total": history.total,
        "offset": history.offset,
        "limit": history.limit,
        "since": history.since.isoformat() if history.since else None,
        "deployments": [record.model_dump(mode="json") for record in history.records],
    }
    return json.dumps(_cleaned(document), indent=2) + "\n"


# --- markdown -------------------------------------------------------------------------------


def prose(value: str | None) -> str:
    """Text safe in a table cell, a paragraph or a list item: the project's inline `prose`
    (no HTML, emphasis, links, table breaks or mentions) and no block marker at its start."""
    text = inline_prose(clean(value))
    return _LEADING_MARKER.sub(
        lambda m: "\\" + m.group() if not m.group().isdigit() else m.group() + "\\", text, count=1
    )


def _code(value: str | None) -> str:
    return NONE if value is None else code_span(clean(value))


def _facts(r: DeploymentRecord) -> list[str]:
    previous = f" (previous {_code(r.previous_release)})" if r.previous_release else ""
    rows = [
        ["Release", f"{_code(r.release)}{previous}"],
        ["Environment", f"{prose(r.environment)} (mode {prose(r.mode or 'not recorded')})"],
        ["Status", prose(r.status)],
        ["Started", prose(_when(r.started_at))],
        ["Finished", prose(_when(r.finished_at)) + (f" ({prose(_duration(r))})" if r.finished_at else "")],
        ["Operator", prose(r.operator)],
        ["Engineer", prose(r.engineer)],
        ["Commit applied", _code(r.commit)],
        ["Configuration version", _code(r.config_version)],
        ["Rollback used", prose(_rollback(r))],
        ["Break-glass", prose(r.break_glass_reason) if r.break_glass_reason else "no"],
        ["Monitoring window", prose(_monitoring(r))],
    ]
    return table(["Field", "Value"], rows)


def _changes(r: DeploymentRecord) -> list[str]:
    lines = ["### Changes", ""]
    if r.changes_basis:
        lines += [f"Based on: {prose(r.changes_basis)}.", ""]
    for label, changes in (
        ("Configuration", r.config_changes),
        ("Migrations", r.migration_changes),
        ("Strategies", r.strategy_changes),
    ):
        lines += [f"#### {label}", ""]
        lines += [f"- {prose(change)}" for change in changes] if changes else ["- none"]
        lines.append("")
    return lines


def _validation(r: DeploymentRecord) -> list[str]:
    lines = ["### Validation results", "", f"{prose(_validation_counts(r))}.", ""]
    if r.validation:
        rows = [
            [
                _code(c.name),
                prose(c.category),
                prose(c.status) if c.status else NONE,
                "✅ passed" if c.passed else "❌ failed",
                f"{c.duration_seconds:.3f} s",
                prose(c.message),
            ]
            for c in r.validation
        ]
        lines += [*table(["Check", "Category", "Status", "Result", "Duration", "Message"], rows), ""]
    return lines


def _incidents(r: DeploymentRecord) -> list[str]:
    lines = ["### Incidents", ""]
    if not r.incidents:
        return [*lines, "None.", ""]
    rows = [
        [prose(_when(i.at)), prose(i.severity), _code(i.kind), prose(i.summary), prose(i.detail), prose(i.recorded_by)]
        for i in r.incidents
    ]
    return [*lines, *table(["When", "Severity", "Kind", "Summary", "Detail", "Recorded by"], rows), ""]


def render_markdown(history: History) -> str:
    lines = [
        f"# Deployment records: {prose(history.environment)}",
        "",
        f"Store {_code(history.store)}; {prose(_headline(history))}.",
        "",
    ]
    if not history.records:
        lines += ["No deployments recorded.", ""]
    for r in history.records:
        lines += [f"## {_code(r.id)}: release {_code(r.release)}, {prose(r.status)}", "", *_facts(r), ""]
        lines += [*_changes(r), *_validation(r), *_incidents(r)]
        if r.summary:
            lines += ["### Summary", "", prose(r.summary), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


FORMATS: dict[str, Callable[[History], str]] = {"text": render_text, "json": render_json, "markdown": render_markdown}
