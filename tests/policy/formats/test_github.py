"""GitHub workflow commands: one annotation per finding, escaped as the runner expects."""

from __future__ import annotations

from quantmatrix.policy.findings import Finding
from quantmatrix.policy.formats import github


def test_a_denial_is_an_error_annotation_at_its_line(check_result):
    lines = github.render(check_result).splitlines()
    assert (
        "::error file=environments/backtest.yaml,line=14,col=5,title=QM-SEP-002 Backtest never routes live orders"
        "::backtest can route live orders: routes_live_orders is true [environment/backtest]"
    ) in lines  # the message is data: its ':' stays as it is


def test_warning_and_waived_use_their_own_commands(check_result):
    lines = github.render(check_result).splitlines()
    assert any(
        line.startswith("::warning file=environments/paper.yaml,line=22,col=21,title=QM-CFG-010 ") for line in lines
    )
    (notice,) = [line for line in lines if line.startswith("::notice")]
    assert notice.startswith(
        "::notice file=environments/live.yaml,line=12,col=12,title=QM-CFG-010 Risk limits under the configured ceilings (waived)::"
    )
    assert (
        "waived: ramp approved by the risk committee (approved by ops-lead@quantmatrix.io, expires 2026-12-31)"
        in notice
    )


def test_one_line_per_finding_and_a_final_summary(check_result):
    lines = github.render(check_result).splitlines()
    assert len(lines) == len(check_result.findings) + len(check_result.waived) + 1
    assert sum(line.startswith("::error ") for line in lines) == 7
    assert lines[-1] == "qm check: 7 denied, 1 warning, 1 waived — FAILED"


def test_fail_on_warn_turns_warnings_into_errors(make_result, samples):
    (warn,) = [f for f in samples.FINDINGS if f.severity == "warn"]
    assert github.render(make_result((warn,), fail_on_warn=True)).startswith("::error ")


def test_data_and_properties_are_escaped_so_no_message_can_start_a_command(make_result, samples):
    hostile = samples.finding(
        samples.GO_LIVE, "environment/live", "environments/a,b:c.yaml", 3, 2, "100% sure\r\n::error::forged", "spec"
    )
    (line, summary) = github.render(make_result((hostile,))).splitlines()
    assert line == (
        "::error file=environments/a%2Cb%3Ac.yaml,line=3,col=2,title=QM-LIVE-001 Go-live preconditions recorded"
        "::100%25 sure%0D%0A::error::forged [environment/live]"
    )
    assert summary.startswith("qm check: ")


def test_unknown_position_leaves_the_property_out(make_result, samples):
    nowhere = Finding(samples.PINNED, "release history has a gap", (), "", 0, 0)
    (line, _) = github.render(make_result((nowhere,))).splitlines()
    assert line == "::error title=QM-REL-001 Release versions pinned::release history has a gap [(repository)]"


def test_escape_helpers():
    assert github.escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert github.escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"
