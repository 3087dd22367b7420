"""Waivers accept exactly one finding, visibly; untrustworthy waivers are findings themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from quantmatrix.policy.gate import run_check
from quantmatrix.policy.waivers import Waiver
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source

HEADER = "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n"
LIVE_LOSS = """  - rule: QM-FIX-001
    target: environment/live
    reason: Q4 volatility plan, RISK-812
    approver: sam.cto
    expires: {expires}
"""


def check(repo: Path, text: str | None, today: str = "2026-12-01", **options):
    if text is not None:
        (repo / "policies" / "waivers.yaml").write_text(text)
    source = open_source(repo)
    return run_check(load_source(source), source=source, today=today, **options)


def ids(findings) -> list[str]:
    return sorted(f.rule.id for f in findings)


def test_a_valid_waiver_moves_its_finding_to_waived(repo: Path):
    result = check(repo, HEADER + LIVE_LOSS.format(expires="2027-01-31"))
    assert "QM-FIX-001" not in ids(result.findings)
    (waived,) = result.waived
    assert (waived.rule.id, waived.target, waived.file) == ("QM-FIX-001", "environment/live", "environments/live.yaml")
    assert waived.waiver is not None
    assert (waived.waiver.reason, waived.waiver.approver, waived.waiver.expires) == (
        "Q4 volatility plan, RISK-812",
        "sam.cto",
        "2027-01-31",
    )
    assert (waived.waiver.file, waived.waiver.line) == ("policies/waivers.yaml", 4)
    assert result.passed  # only warnings left


def test_a_waiver_is_valid_through_its_expiry_day(repo: Path):
    assert check(repo, HEADER + LIVE_LOSS.format(expires="2026-12-01")).waived


def test_an_expired_waiver_is_a_denial_at_its_line_and_waives_nothing(repo: Path):
    result = check(repo, "# exceptions\n" + HEADER + LIVE_LOSS.format(expires="2026-11-30"))
    expired = next(f for f in result.denials if f.rule.id == "QM-WAIVER-002")
    assert (expired.file, expired.line, expired.severity) == ("policies/waivers.yaml", 5, "deny")
    assert "expired on 2026-11-30" in expired.message
    assert "QM-FIX-001" in ids(result.denials) and not result.waived
    assert not result.passed


@pytest.mark.parametrize(
    ("entry", "line", "message"),
    [
        (
            LIVE_LOSS.format(expires="2027-01-31").replace("    approver: sam.cto\n", ""),
            4,
            "approver: required field is missing",
        ),
        (LIVE_LOSS.format(expires="next week"), 8, "expires:"),
        (LIVE_LOSS.format(expires="2027-01-31") + "    ticket: RISK-812\n", 9, "ticket: unknown field"),
        ("  - just a string\n", 4, "waivers.0"),
    ],
)
def test_a_malformed_waiver_is_a_denial_at_the_offending_line(repo: Path, entry: str, line: int, message: str):
    result = check(repo, HEADER + entry)
    (invalid,) = [f for f in result.denials if f.rule.id == "QM-WAIVER-001"]
    assert (invalid.file, invalid.line) == ("policies/waivers.yaml", line)
    assert message in invalid.message
    assert not result.waived


def test_a_waivers_file_that_is_not_yaml_is_a_denial(repo: Path):
    result = check(repo, HEADER + "  - rule: [\n")
    (invalid,) = [f for f in result.denials if f.rule.id == "QM-WAIVER-001"]
    assert invalid.file == "policies/waivers.yaml" and invalid.line >= 4


def test_a_waiver_for_an_unknown_rule_is_a_denial(repo: Path):
    result = check(repo, HEADER + LIVE_LOSS.format(expires="2027-01-31").replace("QM-FIX-001", "QM-FIX-999"))
    (invalid,) = [f for f in result.denials if f.rule.id == "QM-WAIVER-001"]
    assert "unknown rule QM-FIX-999" in invalid.message


def test_waiver_findings_cannot_be_waived(repo: Path):
    entry = LIVE_LOSS.format(expires="2026-01-01") + LIVE_LOSS.format(expires="2027-01-01").replace(
        "QM-FIX-001", "QM-WAIVER-002"
    )
    result = check(repo, HEADER + entry)
    assert ids(result.denials) == ["QM-FIX-001", "QM-WAIVER-001", "QM-WAIVER-002"]
    assert not result.waived


def test_a_waiver_that_matches_nothing_is_a_warning(repo: Path):
    result = check(
        repo, HEADER + LIVE_LOSS.format(expires="2027-01-31").replace("environment/live", "environment/paper")
    )
    (unmatched,) = [f for f in result.warnings if f.rule.id == "QM-WAIVER-003"]
    assert (unmatched.line, unmatched.severity) == (4, "warn")


def test_a_waiver_matching_several_findings_is_refused():
    from quantmatrix.policy.findings import Finding, RuleMeta
    from quantmatrix.policy.waiver_bounds import Bounds
    from quantmatrix.policy.waivers import apply_waivers, parse_waivers

    rule = RuleMeta("QM-FIX-002", "t", "warn", "g")
    found = [
        Finding(
            rule,
            f"m{i}",
            ("environments", "local", "spec", "x", i),
            "environments/local.yaml",
            i + 1,
            1,
            "environment/local",
        )
        for i in range(2)
    ]
    entry = (
        LIVE_LOSS.format(expires="2027-01-31")
        .replace("QM-FIX-001", "QM-FIX-002")
        .replace("environment/live", "environment/local")
    )
    bounds = Bounds(dt.date(2026, 12, 1), 90, frozenset({"sam.cto"}), "", frozenset({"environment/local"}))
    active, waived, _ = apply_waivers(
        found,
        parse_waivers("policies/waivers.yaml", (HEADER + entry).encode()),
        {"QM-FIX-002": rule},
        dt.date(2026, 12, 1),
        bounds,
    )
    (invalid,) = [f for f in active if f.rule.id == "QM-WAIVER-001"]
    assert "matches 2 findings" in invalid.message
    assert not waived


@pytest.mark.parametrize("target", ["environment/local", "environments.local.spec.safety", "environments.local"])
def test_targets_name_the_subject_or_a_path_prefix(repo: Path, target: str):
    entry = (
        LIVE_LOSS.format(expires="2027-01-31").replace("QM-FIX-001", "QM-FIX-002").replace("environment/live", target)
    )
    (waived,) = check(repo, HEADER + entry).waived
    assert waived.target == "environment/local"


def test_a_file_target_matches_the_file_the_finding_points_at(repo: Path):
    entry = LIVE_LOSS.format(expires="2027-01-31").replace("environment/live", "environments/live.yaml")
    assert [f.rule.id for f in check(repo, HEADER + entry).waived] == ["QM-FIX-001"]


def test_an_explicit_waivers_file_replaces_the_packs(repo: Path, tmp_path: Path):
    (repo / "policies" / "waivers.yaml").write_text(HEADER + LIVE_LOSS.format(expires="2020-01-01"))
    other = tmp_path / "other.yaml"
    other.write_text(HEADER + LIVE_LOSS.format(expires="2027-01-31"))
    result = check(repo, None, waivers=other)
    assert [f.rule.id for f in result.waived] == ["QM-FIX-001"]
    assert "QM-WAIVER-002" not in ids(result.findings)


def test_the_shipped_waivers_file_is_valid_and_waives_only_real_findings():
    root = Path(__file__).resolve().parents[2]
    source = open_source(root)
    result = run_check(load_source(source), source=source, today=dt.date.today())
    assert not [f for f in result.findings if f.rule.id.startswith("QM-WAIVER")]


def test_the_model_documents_every_field():
    fields = Waiver.model_json_schema()["properties"]
    assert set(fields) == {"rule", "target", "reason", "approver", "expires"}
    assert all(field.get("description") for field in fields.values())
