"""JSON report: a stable, machine-readable document of one `qm check` run.

Stable means: fixed key order, findings in the shared deterministic order, no timestamps —
so two runs (or the embedded and OPA engines, after dropping `engine`) can be compared
with a plain diff. `schema` names the document version; fields are only ever added.
"""

from __future__ import annotations

import json
from typing import Any

from quantmatrix import __version__
from quantmatrix.errors import QMError
from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta, WaiverRef
from quantmatrix.policy.formats.common import all_rules, ordered, target
from quantmatrix.render.inert import inert_strings

SCHEMA = "quantmatrix.io/check-result/v1"


def finding_doc(finding: Finding) -> dict[str, Any]:
    rule = finding.rule
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "guide": rule.guide,
        "message": finding.message,
        "file": finding.file,
        "line": finding.line,
        "col": finding.col,
        "path": list(finding.path),
        "target": target(finding),
    }


def waiver_doc(waiver: WaiverRef | None) -> dict[str, Any] | None:
    if waiver is None:
        return None
    return {
        "reason": waiver.reason,
        "approver": waiver.approver,
        "expires": waiver.expires,
        "file": waiver.file,
        "line": waiver.line,
    }


def rule_doc(rule: RuleMeta) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "guide": rule.guide,
        "description": rule.description,
        "file": rule.file,
        "line": rule.line,
    }


def document(result: CheckResult) -> dict[str, Any]:
    """The report as a dict (the `markdown` or other formats may build on it)."""
    rules = all_rules(result)
    return {
        "schema": SCHEMA,
        "tool": {"name": "qm", "version": __version__},
        "source": result.source,
        "engine": result.engine,
        "passed": result.passed,
        "fail_on_warn": result.fail_on_warn,
        "summary": {
            "rules": len(rules),
            "denied": len(result.denials),
            "warnings": len(result.warnings),
            "waived": len(result.waived),
        },
        "findings": [finding_doc(f) for f in ordered(result.findings)],
        "waived": [{**finding_doc(f), "waiver": waiver_doc(f.waiver)} for f in ordered(result.waived)],
        "rules": [rule_doc(r) for r in rules],
    }


def render(result: CheckResult) -> str:
    return json.dumps(inert_strings(document(result)), indent=2, ensure_ascii=False) + "\n"


def error_document(error: QMError, source: str) -> dict[str, Any]:
    """What `qm check --format json` writes when there is no result to report (invalid input,
    broken policy, engine failure: exit 2; OPA unreachable: exit 3), so that a consumer of
    the report reads why instead of an empty or stale file. Never `passed`."""
    return {
        "schema": SCHEMA,
        "tool": {"name": "qm", "version": __version__},
        "source": source,
        "status": "error",
        "passed": False,
        "exit_code": int(error.exit_code),
        "problems": [p.as_dict() for p in error.problems],
    }


def render_error(error: QMError, source: str) -> str:
    # problems quote the input (names, paths, values): as inert as every report
    return json.dumps(inert_strings(error_document(error, source)), indent=2, ensure_ascii=False) + "\n"
