"""The JUnit report: valid XML in the shape CI test viewers read (GitLab, Jenkins, GitHub
test reporters): testsuites > testsuite (one per rule) > testcase (one per rule × target)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from quantmatrix.policy.formats import junit

COUNTS = ("tests", "failures", "errors", "skipped")
CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}


def parse(result) -> ET.Element:  # type: ignore[no-untyped-def]
    return ET.fromstring(junit.render(result).encode("utf-8"))


def assert_junit_shape(root: ET.Element) -> None:
    """The structure of the common JUnit XSD (Jenkins/Ant flavour), counts consistent."""
    assert root.tag == "testsuites"
    totals = dict.fromkeys(COUNTS, 0)
    for suite in root.findall("testsuite"):
        assert suite.get("name")
        cases = suite.findall("testcase")
        assert {child.tag for child in suite} <= {"properties", "testcase", "system-out", "system-err"}
        outcome = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        assert {k: int(suite.get(k, "-1")) for k in COUNTS} == outcome, suite.get("name")
        float(suite.get("time", "x"))
        for case in cases:
            assert case.get("name") and case.get("classname")
            float(case.get("time", "x"))
            assert {child.tag for child in case} <= CASE_CHILDREN
            assert not (case.find("failure") is not None and case.find("skipped") is not None)
        for key in COUNTS:
            totals[key] += outcome[key]
    assert {k: int(root.get(k, "-1")) for k in COUNTS} == totals


def case(root: ET.Element, rule: str, target: str) -> ET.Element:
    (found,) = [c for c in root.iter("testcase") if c.get("classname") == rule and c.get("name") == target]
    return found


def test_valid_xml_with_consistent_counts(check_result, clean_result):
    for result in (check_result, clean_result):
        text = junit.render(result)
        assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        assert_junit_shape(ET.fromstring(text.encode("utf-8")))


def test_one_suite_per_rule_of_the_pack_passing_rules_included(check_result):
    root = parse(check_result)
    suites = {s.get("name").split()[0]: s for s in root.findall("testsuite")}
    assert set(suites) == {r.id for r in check_result.rules}
    quiet = suites["QM-LOC-001"]
    (only,) = quiet.findall("testcase")
    assert only.get("name") == "all targets" and list(only) == []
    props = {p.get("name"): p.get("value") for p in quiet.find("properties")}
    assert props == {"severity": "deny", "guide": "§7", "policy": "policies/local.rego"}


def test_a_denial_is_a_failure_of_its_rule_and_target(check_result):
    root = parse(check_result)
    failure = case(root, "QM-SEP-002", "environment/backtest").find("failure")
    assert failure is not None and failure.get("type") == "deny"
    assert failure.get("message") == "backtest can route live orders: routes_live_orders is true"
    assert "environments/backtest.yaml:14:5" in failure.text
    # one case per target: the scope rule failed on live and on local separately
    assert case(root, "QM-SEP-001", "environment/live").find("failure") is not None
    assert case(root, "QM-SEP-001", "environment/local").find("failure") is not None
    assert root.get("failures") == "7"


def test_a_warning_passes_with_its_message_in_system_out_unless_fail_on_warn(make_result, samples):
    (warn,) = [f for f in samples.FINDINGS if f.severity == "warn"]
    relaxed = case(parse(make_result((warn,))), "QM-CFG-010", "environment/paper")
    assert relaxed.find("failure") is None and relaxed.find("skipped") is None
    assert "WARN environments/paper.yaml:22:21: max_daily_loss 50000" in relaxed.find("system-out").text
    strict = case(parse(make_result((warn,), fail_on_warn=True)), "QM-CFG-010", "environment/paper")
    assert strict.find("failure").get("type") == "warn"


def test_a_waived_finding_is_skipped_with_reason_approver_and_expiry(check_result):
    skipped = case(parse(check_result), "QM-CFG-010", "environment/live").find("skipped")
    assert skipped is not None
    message = skipped.get("message")
    assert (
        "ramp approved by the risk committee" in message
        and "ops-lead@quantmatrix.io" in message
        and "2026-12-31" in message
    )
    assert parse(check_result).get("skipped") == "1"


def test_markup_and_unencodable_characters_are_escaped(make_result, samples):
    nasty = 'a <b>&"c"</b> \x00\x07 ]]> --> done'
    f = samples.finding(samples.GO_LIVE, "environment/li<ve>", "environments/live.yaml", 3, 1, nasty, "spec")
    root = parse(make_result((f,)))
    assert_junit_shape(root)
    failure = case(root, "QM-LIVE-001", "environment/li<ve>").find("failure")
    assert failure.get("message") == 'a <b>&"c"</b> \\x00\\x07 ]]> --> done'


def test_every_case_carries_the_file_and_line_of_its_first_failing_finding(check_result, make_result, samples):
    root = parse(check_result)
    located = {(c.get("classname"), c.get("name")): (c.get("file"), c.get("line")) for c in root.iter("testcase")}
    assert located[("QM-SEP-002", "environment/backtest")] == ("environments/backtest.yaml", "14")
    assert located[("QM-SEP-001", "environment/live")] == ("environments/live.yaml", "18")
    assert located[("QM-CFG-010", "environment/live")] == ("environments/live.yaml", "12")  # waived: still located
    assert located[("QM-LOC-001", "all targets")] == ("policies/local.rego", "3")  # passing: the rule itself
    assert all(file and line and int(line) > 0 for file, line in located.values())
    # on one target, a finding that fails the gate is located before a waived one
    (waived,) = samples.WAIVED
    active = samples.finding(
        waived.rule, "environment/live", "environments/live.yaml", 40, 3, "capital above the ceiling", "spec"
    )
    (case_,) = [
        c for c in parse(make_result((active,), (waived,))).iter("testcase") if c.get("name") == "environment/live"
    ]
    assert (case_.get("file"), case_.get("line")) == ("environments/live.yaml", "40")
