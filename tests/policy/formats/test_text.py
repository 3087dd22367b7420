"""The text report: grouped by target, live first, waivers apart, one verdict line."""

from __future__ import annotations

import click

from quantmatrix.policy.formats import text


def plain(result) -> list[str]:  # type: ignore[no-untyped-def]
    return click.unstyle(text.render(result)).splitlines()


def headers(lines: list[str]) -> list[str]:
    """Group headers: unindented lines between the title and the summary."""
    return [line for line in lines[1:-1] if line and not line.startswith(" ")]


def test_groups_environments_in_mode_rank_order_then_releases_secrets_bases(check_result):
    assert headers(plain(check_result)) == [
        "environment/live",
        "environment/paper",
        "environment/local",
        "environment/backtest",
        "release/2026.11.1",
        "secret/QM_PAPER_BROKER_KEY",
        "base/_base",
        "Waived (1)",
    ]


def test_each_finding_is_one_line_with_severity_rule_location_and_message(check_result):
    lines = plain(check_result)
    assert (
        "  DENY QM-SEP-002 environments/backtest.yaml:14:5  backtest can route live orders: routes_live_orders is true"
        in lines
    )
    assert "  WARN QM-CFG-010 environments/paper.yaml:22:21  max_daily_loss 50000 is above the ceiling 25000" in lines


def test_within_a_target_denials_come_before_warnings_then_by_line(make_result, samples):
    f = samples.finding
    warn = f(samples.RISK_CEILING, "environment/live", "environments/live.yaml", 2, 1, "warn first in the file", "spec")
    deny_late = f(samples.GO_LIVE, "environment/live", "environments/live.yaml", 40, 1, "late denial", "spec")
    deny_early = f(samples.SEP_SCOPE, "environment/live", "environments/live.yaml", 10, 1, "early denial", "spec")
    lines = [line for line in plain(make_result((warn, deny_late, deny_early))) if line.startswith("  ")]
    assert [line.split()[1] for line in lines] == ["QM-SEP-001", "QM-LIVE-001", "QM-CFG-010"]


def test_waived_findings_are_reported_apart_with_reason_approver_and_expiry(check_result):
    lines = plain(check_result)
    start = lines.index("Waived (1)")
    assert (
        lines[start + 1]
        == "  WAIVED QM-CFG-010 environments/live.yaml:12:12  capital 250000 is above the first-release ceiling  [environment/live]"
    )
    assert "reason: ramp approved by the risk committee" in lines[start + 2]
    assert "approver: ops-lead@quantmatrix.io" in lines[start + 2]
    assert "expires: 2026-12-31 (policies/waivers.yaml:4)" in lines[start + 2]
    # and not among the active findings of environment/live
    live = lines[lines.index("environment/live") + 1 : lines.index("environment/paper")]
    assert not any("capital 250000" in line for line in live)


def test_summary_line_counts_and_verdict(check_result, clean_result, make_result, samples):
    assert plain(check_result)[-1] == "7 denied, 1 warning, 1 waived — FAILED"
    assert plain(clean_result)[-1] == "0 denied, 0 warnings, 0 waived — PASSED"
    warning_only = make_result(tuple(f for f in samples.FINDINGS if f.severity == "warn"))
    assert plain(warning_only)[-1] == "0 denied, 1 warning, 0 waived — PASSED"
    strict = make_result(warning_only.findings, fail_on_warn=True)
    assert plain(strict)[-1] == "0 denied, 1 warning, 0 waived — FAILED"


def test_clean_result_says_so(clean_result):
    lines = plain(clean_result)
    assert lines[0] == "qm check . (embedded engine, 8 rules)"
    assert "No active findings." in lines


def test_modes_from_the_result_put_a_live_environment_first_whatever_its_name(make_result, samples):
    f = samples.finding
    eu = f(samples.GO_LIVE, "environment/prod-eu", "environments/prod-eu.yaml", 3, 1, "no review", "spec")
    alpha = f(samples.SEP_SCOPE, "environment/alpha", "environments/alpha.yaml", 3, 1, "wrong scope", "spec")
    paper = f(samples.SEP_SCOPE, "environment/sim", "environments/sim.yaml", 3, 1, "wrong scope", "spec")
    result = make_result((alpha, paper, eu), modes={"prod-eu": "live", "sim": "paper", "alpha": "backtest"})
    assert headers(plain(result)) == [
        "environment/prod-eu [live]",
        "environment/sim [paper]",
        "environment/alpha [backtest]",
    ]


def test_severity_is_coloured_and_the_colour_can_be_stripped(check_result):
    styled = text.render(check_result)
    assert "\x1b[31m\x1b[1mDENY" in styled  # red, bold
    assert "\x1b[33m\x1b[1mWARN" in styled  # yellow, bold
    assert "\x1b[" not in click.unstyle(styled)


def test_a_message_cannot_break_the_layout_or_drive_the_terminal(make_result, samples):
    hostile = samples.finding(
        samples.GO_LIVE, "environment/live", "environments/live.yaml", 3, 1, "two\nlines \x1b[2J cleared", "spec"
    )
    lines = plain(make_result((hostile,)))
    assert "  DENY QM-LIVE-001 environments/live.yaml:3:1  two\\nlines \\x1b[2J cleared" in lines
    assert "\x1b[2J" not in text.render(make_result((hostile,)))


def test_a_finding_without_location_or_target_is_still_listed(make_result, samples):
    from quantmatrix.policy.findings import Finding

    nowhere = Finding(samples.PINNED, "release history has a gap", (), "", 0, 0)
    lines = plain(make_result((nowhere,)))
    assert "(repository)" in lines
    assert "  DENY QM-REL-001 -  release history has a gap" in lines
