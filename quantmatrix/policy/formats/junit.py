"""JUnit XML report, for the test viewers of GitLab, Jenkins and GitHub test-reporter actions.

Shape (the common Ant/Jenkins JUnit schema): one `<testsuite>` per rule of the pack, so every
rule shows up, passed ones too; inside it one `<testcase classname=RULE-ID name=TARGET>` per
target the rule reported on, or a single passing `name="all targets"` case when it reported
nothing. A case is
- a `<failure type="deny">` when the rule denied that target (all its messages in the body);
- passing with the warning in `<system-out>` for a `warn` — warnings do not fail the gate, and
  `<skipped>` would wrongly say the rule did not run; with `--fail-on-warn` a warning is a
  `<failure type="warn">` instead, because then it does fail the gate;
- `<skipped>` when every finding on that target was waived: the rule ran, a person accepted
  the result (reason, approver and expiry in the message).
Each case carries `file` and `line` (GitLab and Jenkins link to them): where its first failing
finding is (else its first finding; a passing "all targets" case: the rule in its policy file).
Counts (`tests`, `failures`, `errors`, `skipped`) are computed from the cases, per suite and
in total on `<testsuites>`. `time` is 0: policy evaluation is not timed per rule.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta
from quantmatrix.policy.formats.common import all_rules, fails, ordered, summary_line, target, target_key
from quantmatrix.render.inert import multiline

# Characters XML 1.0 cannot carry at all, not even escaped (controls are `multiline`'s).
_NOT_XML = re.compile("[\ufffe\uffff]")
ALL_TARGETS = "all targets"


def xml_text(text: str) -> str:
    """Text safe for XML 1.0 and inert (escaping `<&"` is ElementTree's job): secrets
    redacted, control and bidi characters visible, the unencodable escaped."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", multiline(text))


def _finding_line(finding: Finding) -> str:
    return xml_text(f"{finding.severity.upper()} {finding.location() or '-'}: {finding.message}")


def _waived_line(finding: Finding) -> str:
    waiver = finding.waiver
    accepted = (
        f" (waived: {waiver.reason}; approver {waiver.approver}; expires {waiver.expires})" if waiver else " (waived)"
    )
    return xml_text(f"WAIVED {finding.location() or '-'}: {finding.message}{accepted}")


def _case(
    suite: ET.Element, rule: RuleMeta, name: str, active: list[Finding], waived: list[Finding], result: CheckResult
) -> str:
    """Append one testcase; return its outcome: "failure", "skipped" or "passed"."""
    failing = [f for f in active if fails(f, result)]
    where = next(((f.file, f.line) for f in (*failing, *active, *waived) if f.file), (rule.file, rule.line))
    case = ET.SubElement(suite, "testcase", {"classname": xml_text(rule.id), "name": xml_text(name), "time": "0"})
    if where[0]:
        case.set("file", xml_text(where[0]))
        if where[1]:
            case.set("line", str(where[1]))
    out = [_finding_line(f) for f in active if not fails(f, result)] + [_waived_line(f) for f in waived]
    outcome = "passed"
    if failing:
        first = failing[0]
        failure = ET.SubElement(case, "failure", {"message": xml_text(first.message), "type": first.severity})
        failure.text = "\n".join(_finding_line(f) for f in failing)
        outcome = "failure"
    elif waived and not active:
        ET.SubElement(case, "skipped", {"message": _waived_line(waived[0])})
        outcome = "skipped"
    if out:
        ET.SubElement(case, "system-out").text = "\n".join(out)
    return outcome


def _suite(root: ET.Element, rule: RuleMeta, result: CheckResult) -> dict[str, int]:
    suite = ET.SubElement(root, "testsuite", {"name": xml_text(f"{rule.id} {rule.title}")})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("severity", rule.severity), ("guide", rule.guide), ("policy", rule.file)):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    active = [f for f in ordered(result.findings) if f.rule.id == rule.id]
    waived = [f for f in ordered(result.waived) if f.rule.id == rule.id]
    targets = sorted({target(f) for f in (*active, *waived)}, key=lambda t: target_key(t, result.modes))
    outcomes = [
        _case(
            suite,
            rule,
            name,
            [f for f in active if target(f) == name],
            [f for f in waived if target(f) == name],
            result,
        )
        for name in targets
    ] or [_case(suite, rule, ALL_TARGETS, [], [], result)]
    counts = {
        "tests": len(outcomes),
        "failures": outcomes.count("failure"),
        "errors": 0,
        "skipped": outcomes.count("skipped"),
    }
    for key, count in counts.items():
        suite.set(key, str(count))
    suite.set("time", "0")
    return counts


def render(result: CheckResult) -> str:
    root = ET.Element("testsuites", {"name": xml_text(f"qm check {result.source}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for rule in all_rules(result):
        for key, value in _suite(root, rule, result).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    root.append(ET.Comment(f" {xml_text(summary_line(result)).replace('--', '- -')} "))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
