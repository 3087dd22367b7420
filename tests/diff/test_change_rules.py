"""The delta rules (policies/change.rego) on real diffs between git commits: each fires on its
delta, at the edited line, and only when that delta is present. The Rego unit tests of the
rules run here too, so a broken rule fails pytest."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from quantmatrix.diff.refs import check_change, compare
from quantmatrix.policy.testing import run_tests
from quantmatrix.repo.source import DirectorySource

LIVE = "environments/live.yaml"
R1100 = "releases/2026.11.0.yaml"
R1101 = "releases/2026.11.1.yaml"
RISK_REVIEW = (
    "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-02}",
    "    risk_changes_reviewed: {by: omar.risk, at: 2026-11-30}",
)
PAIRS_IN_LIVE = (
    "    - name: pairs_stat_arb\n      version: 0.9.0\n      capital: 0\n      enabled: true\n  blocked_symbols"
)


def risk_reviewed() -> tuple[str, str, str]:
    """The edit recording a risk review in release 2026.11.0 (the one live runs)."""
    return (R1100, RISK_REVIEW[0], "\n".join(RISK_REVIEW))


def delta_findings(repo, *edits):  # type: ignore[no-untyped-def]
    """Commit `edits` on a feature branch; the gate's delta findings as (id, file, line)."""
    repo.branch("feature")
    for file, old, new in edits:
        repo.edit(file, old, new)
    repo.commit("feature")
    result = check_change(compare(repo.root, "main", "feature"), today=dt.date(2026, 12, 1))
    return sorted(
        (f.rule.id, f.file, f.line) for f in (*result.findings, *result.waived) if f.rule.id.startswith("QM-CHG")
    )


def at(repo, file, text):  # type: ignore[no-untyped-def]
    return (file, repo.line_of(file, text))


def test_no_relevant_delta_no_finding(repo):
    assert delta_findings(repo, (LIVE, "interval_seconds: 30\n  analytics", "interval_seconds: 20\n  analytics")) == []


def test_raised_limit_needs_the_risk_review_of_the_release_the_environment_runs(repo):
    found = delta_findings(repo, (LIVE, "max_daily_loss: 1500", "max_daily_loss: 2000"))
    assert found == [("QM-CHG-001", *at(repo, LIVE, "max_daily_loss"))]


def test_raised_limit_with_risk_review_passes(repo):
    found = delta_findings(repo, (LIVE, "max_daily_loss: 1500", "max_daily_loss: 2000"), risk_reviewed())
    assert found == []


def test_lowered_limit_needs_nothing(repo):
    assert delta_findings(repo, (LIVE, "max_daily_loss: 1500", "max_daily_loss: 1000")) == []


def test_live_capital_raise_checks_review_observation_and_previous_limit(repo):
    repo.edit(LIVE, "observed_since: 2026-11-12", "observed_since: 2026-11-25")
    repo.commit("observation restarted")
    found = delta_findings(repo, (LIVE, "limit: 50000", "limit: 60000"))
    line = at(repo, LIVE, "limit: 60000")
    assert found == sorted(
        [
            ("QM-CHG-002", *line),
            ("QM-CHG-004", *line),  # 6 days of observation < 14
            ("QM-CHG-005", *at(repo, LIVE, "capital:")),  # last_increase.previous_limit missing
        ]
    )


def test_unblocking_a_symbol_needs_a_risk_review(repo):
    found = delta_findings(repo, (LIVE, "[GME, AMC, BBBYQ, MULN, FFIE]", "[GME, AMC, BBBYQ, MULN]"))
    assert found == [("QM-CHG-003", *at(repo, LIVE, "blocked_symbols"))]


def test_release_moving_the_schema_needs_the_migrations_review(repo):
    found = delta_findings(repo, (R1101, "revision: 0002_fills_exec_time_idx", "revision: 0003_orders_client_id"))
    assert found == [("QM-CHG-006", *at(repo, R1101, "checklist:"))]


def test_live_pin_needs_a_release_that_passed_paper(repo):
    pin = [
        (LIVE, "release: 2026.11.0", "release: 2026.11.1"),
        (LIVE, "version: 1.4.0", "version: 1.4.2"),
        (LIVE, "logic_version: 1.3.0", "logic_version: 1.3.1"),
    ]
    assert delta_findings(repo, *pin) == [("QM-CHG-007", *at(repo, LIVE, "release: 2026.11.1"))]


def test_live_pin_to_a_release_with_paper_evidence_passes(repo):
    repo.validated_in_paper()
    found = delta_findings(
        repo,
        (LIVE, "release: 2026.11.0", "release: 2026.11.1"),
        (LIVE, "version: 1.4.0", "version: 1.4.2"),
        (LIVE, "logic_version: 1.3.0", "logic_version: 1.3.1"),
    )
    assert found == []


def test_strategy_switched_on_in_live_needs_a_renewed_strategy_set_approval(repo):
    found = delta_findings(repo, (LIVE, "  blocked_symbols", PAIRS_IN_LIVE))
    assert found == [("QM-CHG-008", *at(repo, LIVE, "- name: pairs_stat_arb"))]


def test_strategy_switched_on_with_renewed_approval_passes(repo):
    found = delta_findings(
        repo,
        (LIVE, "  blocked_symbols", PAIRS_IN_LIVE),
        (
            LIVE,
            "strategy_set: {by: maria.head-of-trading, at: 2026-11-11",
            "strategy_set: {by: maria.head-of-trading, at: 2026-11-30",
        ),
    )
    assert found == []


def test_live_broker_endpoint_change_needs_re_verification(repo):
    found = delta_findings(repo, (LIVE, "account: LA-QM-7731", "account: LA-QM-9000"))
    assert found == [("QM-CHG-009", *at(repo, LIVE, "account: LA-QM-9000"))]


def test_mode_change_in_place_is_denied(repo):
    found = delta_findings(repo, ("environments/local.yaml", "mode: local", "mode: backtest"))
    assert found == [("QM-CHG-010", *at(repo, "environments/local.yaml", "mode: backtest"))]


def test_large_live_step_is_a_warning(repo):
    found = delta_findings(repo, (LIVE, "max_daily_loss: 1500", "max_daily_loss: 3000"), risk_reviewed())
    assert found == [("QM-CHG-011", *at(repo, LIVE, "max_daily_loss"))]


def test_the_rego_unit_tests_of_the_delta_rules_pass(repo):
    shutil.copy(
        Path(__file__).resolve().parents[2] / "quantmatrix" / "policies" / "change_test.rego", repo.root / "policies"
    )
    report = run_tests(DirectorySource(repo.root))
    assert len(report.results) >= 30
    assert [r.name for r in report.results if not r.passed] == []
