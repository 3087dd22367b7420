"""`qm policy test`: every `test_*` rule runs, failures say why and where, coverage per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantmatrix.errors import PolicyError
from quantmatrix.policy.testing import discover_tests, run_tests
from quantmatrix.repo.source import open_source

FAILING = """package qm.rules.limits

import rego.v1

test_expects_a_denial_for_paper if {
	count(deny) == 1 with input as {"environments": {"paper": {"spec": {"mode": "paper", "risk": {"max_daily_loss": 10}}}}}
}

test_crashes if {
	x := 1 / 0
	x == 1
}

test_is_false := false
"""


def test_every_test_rule_passes_on_the_fixture_pack(repo: Path):
    report = run_tests(open_source(repo))
    assert [r.name for r in report.results] == [
        "data.qm.rules.limits.test_live_loss_above_ceiling_denied",
        "data.qm.rules.limits.test_paper_never_denied",
    ]
    assert report.passed and report.coverage == ()


def test_failures_say_where_and_why(repo: Path):
    (repo / "policies" / "more_test.rego").write_text(FAILING)
    report = run_tests(open_source(repo))
    failed = {r.name.rsplit(".", 1)[1]: r for r in report.failed}
    assert set(failed) == {"test_expects_a_denial_for_paper", "test_crashes", "test_is_false"}
    assert (failed["test_expects_a_denial_for_paper"].file, failed["test_expects_a_denial_for_paper"].line) == (
        "policies/more_test.rego",
        5,
    )
    assert failed["test_expects_a_denial_for_paper"].message == "undefined"
    assert failed["test_crashes"].message.startswith("policies/more_test.rego:10:")
    assert failed["test_crashes"].message.endswith(": divide by zero")
    assert failed["test_is_false"].message == "evaluated to false"
    assert not report.passed


def test_run_selects_tests_by_pattern(repo: Path):
    report = run_tests(open_source(repo), pattern="paper")
    assert [r.name for r in report.results] == ["data.qm.rules.limits.test_paper_never_denied"]
    with pytest.raises(PolicyError, match="not a valid regular expression"):
        run_tests(open_source(repo), pattern="(")


def test_coverage_reports_policy_files_only_with_uncovered_lines(repo: Path):
    report = run_tests(open_source(repo), coverage=True)
    files = {c.file: c for c in report.coverage}
    assert set(files) == {"policies/change.rego", "policies/limits.rego"}
    limits = files["policies/limits.rego"]
    text = (repo / "policies" / "limits.rego").read_text().splitlines()
    assert any("env.spec.risk.max_daily_loss >" in text[n - 1] for n in limits.covered)
    # the tests never exercise the warn rule: its body is reported as not covered
    assert any("not env.spec.safety.emergency_halt.verified" in text[n - 1] for n in limits.not_covered)
    assert 0 < limits.percent < 100
    # no test reaches the change rule at all: 0 %, not silently left out
    assert (files["policies/change.rego"].evaluated, files["policies/change.rego"].percent) == (False, 0.0)


def test_test_rules_are_found_once_per_package(repo: Path):
    modules = (
        ("a_test.rego", "package p.q\n\ntest_x if { true }\ntest_x if { false }\n  test_indented_is_not_a_rule_head\n"),
    )
    assert discover_tests(modules) == [("data.p.q.test_x", "a_test.rego", 3)]


def test_cli_prints_each_result_and_a_summary(repo: Path, qm):
    code, out, _ = qm("policy", "test", str(repo))
    assert code == 0
    assert out.splitlines() == [
        "PASS data.qm.rules.limits.test_live_loss_above_ceiling_denied",
        "PASS data.qm.rules.limits.test_paper_never_denied",
        "2 tests: 2 passed, 0 failed",
    ]


def test_cli_exits_1_on_a_failing_test(repo: Path, qm):
    (repo / "policies" / "more_test.rego").write_text(FAILING)
    code, out, _ = qm("policy", "test", str(repo), "--run", "crash")
    assert code == 1
    first, summary = out.splitlines()
    assert first.startswith(
        "FAIL data.qm.rules.limits.test_crashes (policies/more_test.rego:9): policies/more_test.rego:10:"
    )
    assert first.endswith("divide by zero") and summary == "1 tests: 0 passed, 1 failed"


def test_cli_coverage_lists_percent_and_missing_lines(repo: Path, qm):
    code, out, _ = qm("policy", "test", str(repo), "--coverage")
    assert code == 0
    lines = out.splitlines()
    assert "coverage:" in lines
    (limits,) = [line for line in lines if line.strip().startswith("policies/limits.rego")]
    assert "%" in limits and "not covered: " in limits
    assert "  policies/change.rego  0.0%  not reached by any test" in lines


def test_cli_exits_2_on_a_broken_test_file(repo: Path, qm):
    (repo / "policies" / "broken_test.rego").write_text("package qm.rules.limits\n\ntest_x if {\n")
    code, out, err = qm("policy", "test", str(repo))
    assert code == 2 and out == ""
    assert err.startswith("policies/broken_test.rego:") and "backtrace" not in err.lower()


def test_cli_exits_1_when_no_test_matches(repo: Path, qm):
    code, out, _ = qm("policy", "test", str(repo), "--run", "nothing-like-this")
    assert code == 1 and "no tests found matching 'nothing-like-this'" in out
