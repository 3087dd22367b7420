"""SARIF 2.1.0 report, for GitHub code scanning (and any SARIF viewer).

One run; `tool.driver.rules` lists every rule of the pack (so code scanning can show and
close alerts of rules that did not fire), each result points at the YAML line that wrote
the offending value. GitHub's own requirements on top of the OASIS schema are met: a
non-empty message, one location with a repo-relative URI under `%SRCROOT%`, `startLine`
≥ 1, and `partialFingerprints` so an alert keeps its identity across pushes even when
lines move. Waived findings are results with an external, accepted suppression (code
scanning shows them as dismissed instead of open).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from quantmatrix import __version__
from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta
from quantmatrix.policy.formats.common import all_rules, ordered, target
from quantmatrix.render.inert import inert_strings

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://quantmatrix.io/deploy"
FINGERPRINT = "qmFinding/v1"
# GitHub maps security-severity to critical (≥ 9), high (≥ 7), medium (≥ 4), low.
_SECURITY_SEVERITY = {"deny": "8.0", "warn": "4.0"}
_LEVEL = {"deny": "error", "warn": "warning"}


def rule_name(title: str) -> str:
    """A rule title as the PascalCase identifier SARIF's `name` expects."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title)) or "Rule"


def fingerprint(finding: Finding) -> str:
    """Stable per rule + target + path: not per line, so it survives edits above the value."""
    key = "\x1f".join([finding.rule.id, target(finding), *map(str, finding.path)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _rule(rule: RuleMeta) -> dict[str, Any]:
    where = f" Defined in `{rule.file}`" + (f" line {rule.line}" if rule.line else "") + "." if rule.file else ""
    description = rule.description or rule.title
    description += "" if description.endswith((".", "!", "?")) else "."
    guide = f"Enforces the deployment guide, section {rule.guide}." if rule.guide else ""
    return {
        "id": rule.id,
        "name": rule_name(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": description},
        "help": {
            "text": " ".join(part for part in (description, guide, where.strip()) if part),
            "markdown": "\n\n".join(
                part for part in (f"**{rule.id}: {rule.title}**", description, guide, where.strip()) if part
            ),
        },
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "guide": rule.guide,
            "severity": rule.severity,
            "policy": rule.file,
            "precision": "very-high",  # rules are exact checks, not heuristics
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "tags": [
                "security",
                "quantmatrix-policy",
                *([f"guide-{rule.guide.split()[0]}"] if rule.guide.strip() else []),
            ],
        },
    }


def _location(finding: Finding) -> dict[str, Any]:
    """Where the value is; a finding no YAML line can be given for points at its rule."""
    file, line, col = finding.file, finding.line, finding.col
    if not file:
        file, line, col = finding.rule.file or "policies", finding.rule.line, 0
    region: dict[str, int] = {"startLine": max(line, 1)}
    if line >= 1 and col >= 1:
        region["startColumn"] = col
    return {"physicalLocation": {"artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"}, "region": region}}


def _result(finding: Finding, index: dict[str, int], result: CheckResult, waived: bool = False) -> dict[str, Any]:
    level = _LEVEL[finding.severity]
    if finding.severity == "warn" and result.fail_on_warn:
        level = "error"
    doc: dict[str, Any] = {
        "ruleId": finding.rule.id,
        "ruleIndex": index[finding.rule.id],
        "level": level,
        "message": {"text": finding.message or finding.rule.title},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": {"target": target(finding), "path": [str(p) for p in finding.path]},
    }
    if waived:
        waiver = finding.waiver
        suppression: dict[str, Any] = {"kind": "external", "status": "accepted"}
        if waiver is not None:
            suppression["justification"] = f"{waiver.reason} (approved by {waiver.approver}, expires {waiver.expires})"
            suppression["properties"] = {"approver": waiver.approver, "expires": waiver.expires}
            if waiver.file:
                region = {"startLine": max(waiver.line, 1)}
                suppression["location"] = {
                    "physicalLocation": {
                        "artifactLocation": {"uri": waiver.file, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
        doc["suppressions"] = [suppression]
    return doc


def document(result: CheckResult) -> dict[str, Any]:
    rules = all_rules(result)
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [_result(f, index, result) for f in ordered(result.findings)]
    results += [_result(f, index, result, waived=True) for f in ordered(result.waived)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "qm",
                        "fullName": "QuantMatrix Deploy policy gate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                # ruamel.yaml columns count characters, not UTF-16 code units
                "columnKind": "unicodeCodePoints",
                "invocations": [{"executionSuccessful": True}],
                "properties": {"source": result.source, "engine": result.engine, "passed": result.passed},
                "results": results,
            }
        ],
    }


def render(result: CheckResult) -> str:
    return json.dumps(inert_strings(document(result)), indent=2, ensure_ascii=False) + "\n"
