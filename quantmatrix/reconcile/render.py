"""Plans and statuses for people (text, markdown) and machines (JSON). Rendering only:
the objects come from `plan` and `status`; nothing here decides anything."""

from __future__ import annotations

import json
import re
from typing import Any

from quantmatrix.reconcile.steps import Plan
from quantmatrix.render.inert import one_line as inert_text
from quantmatrix.render.markdown import prose, table


def plan_document(the_plan: Plan) -> dict[str, Any]:
    data = the_plan.model_dump(mode="json")
    data["in_sync"] = the_plan.in_sync
    data["change_count"] = the_plan.change_count
    for step, model in zip(data["steps"], the_plan.steps, strict=True):
        step["changes_system"] = model.changes_system
    return data


def plan_json(the_plan: Plan) -> str:
    return json.dumps(plan_document(the_plan), indent=2, ensure_ascii=False) + "\n"


def _header(the_plan: Plan) -> str:
    head = f"{the_plan.environment} ({the_plan.mode.value}): release {the_plan.previous_release or '(none)'} → {the_plan.release}"
    if the_plan.commit:
        head += f" at {the_plan.commit[:12]}"
    return head


def plan_text(the_plan: Plan) -> str:
    lines = [inert_text(_header(the_plan))]
    if the_plan.in_sync:
        lines.append("in sync: nothing to change")
        return "\n".join(lines) + "\n"
    if the_plan.resume_of:
        lines.append(f"resumes interrupted deployment {the_plan.resume_of}")
    if the_plan.operator_halt:
        lines.append(inert_text(f"operator halt in force ({the_plan.operator_halt}): trading stays HALTED"))
    for number, step in enumerate(the_plan.steps, 1):
        mark = "~" if step.changes_system else " "
        lines.append(inert_text(f"{number:>2}. {mark} {step.title}"))
        for change in step.changes:
            lines.append(inert_text(f"       {change.describe()}"))
        if step.detail:
            lines.append(inert_text(f"       {step.detail}"))
    for blocker in the_plan.blockers:
        lines.append(inert_text(f"BLOCKED: {blocker}"))
    lines.append(f"{the_plan.change_count} step(s) change the system, {len(the_plan.steps)} in all")
    return "\n".join(lines) + "\n"


def plan_markdown(the_plan: Plan) -> str:
    lines = [f"### Plan: {prose(_header(the_plan))}", ""]
    if the_plan.in_sync:
        return "\n".join([*lines, "In sync: nothing to change.", ""])
    rows = [
        [str(n), prose(step.title), "<br>".join(prose(c.describe()) for c in step.changes) or "—"]
        for n, step in enumerate(the_plan.steps, 1)
    ]
    lines += table(["#", "step", "changes"], rows)
    lines += ["", *(f"> **Blocked:** {prose(b)}" for b in the_plan.blockers)]
    return "\n".join(lines) + "\n"


PLAN_FORMATS = {"text": plan_text, "json": plan_json, "markdown": plan_markdown}


def _to_the_second(moment: object) -> str:
    """An ISO time of the status document as people read it: the JSON keeps the microseconds."""
    return re.sub(r"\.\d+(?=Z$)", "", str(moment)) if moment else "-"


def status_text(doc: dict[str, Any]) -> str:
    running, desired, trading = doc["running"], doc["desired"], doc["trading"]
    lines = [
        f"{doc['environment']} ({doc['mode']}): "
        + ("in sync" if doc["in_sync"] else f"OUT OF SYNC ({len(doc['drift'])} difference(s))"),
        f"  desired  release {desired['release']}  config {str(desired['config_version'])[:12]}",
        f"  running  release {running['release'] or '(none)'}  config {str(running['config_version'] or '(none)')[:12]}",
    ]
    for name, component in running["components"].items():
        lines.append(f"    {name:<8} {component['version'] or '-':<12} {component['health']}")
    lines.append(f"  trading  {trading['state'] or 'UNKNOWN (not trading)'}  {trading['reason']}")
    for change in doc["drift"]:
        lines.append(
            f"  drift    {change.get('note') or change['subject'] + ': ' + (change['before'] or '(none)') + ' → ' + change['after']}"
        )
    last = doc["last_deployment"]
    if last:
        lines.append(
            f"  last deployment {last['id']} {last['status']} started {_to_the_second(last['started_at'])} finished {_to_the_second(last['finished_at'])}"
        )
    if doc.get("monitoring_until"):
        lines.append(f"  monitoring window until {_to_the_second(doc['monitoring_until'])}")
    return "\n".join(inert_text(line) for line in lines) + "\n"


def status_line(doc: dict[str, Any]) -> str:
    """One environment in one line (`qm status` without ENV)."""
    head = f"{doc['environment']:<10} {doc['mode']:<9}"
    if "unavailable" in doc:
        return inert_text(f"{head} unavailable: {doc['unavailable']}")
    sync = "in sync" if doc["in_sync"] else f"drifting ({len(doc['drift'])})"
    trading = doc["trading"]["state"] or "UNKNOWN"
    last = doc["last_deployment"]
    when = f"{last['id']} {last['status']}" if last else "no deployment"
    return inert_text(f"{head} {sync:<13} trading {trading:<8} last {when}")
