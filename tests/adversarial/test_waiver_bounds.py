"""Waivers are bounded: a lifetime, an approver from the repository's list, one environment or
release as the target — or the waiver waives nothing and is a denial at its own line.

On a copy of the sample repository with the real pack; the finding to waive is QM-PAP-007
(paper not actively observed), provoked by setting paper's monitoring to normal.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from quantmatrix.policy.findings import CheckResult
from quantmatrix.policy.gate import run_check
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-12-01"
WAIVERS = "policies/waivers.yaml"
HEADER = "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n"


def entry(
    target: str = "environment/paper",
    approver: str = "sam.cto",
    expires: str = "2027-01-30",
    reason: str = "Paper observation paused, OPS-99",
) -> str:
    return f"  - rule: QM-PAP-007\n    target: {target}\n    reason: {reason}\n    approver: {approver}\n    expires: {expires}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder in ("environments", "releases", "policies"):
        shutil.copytree(ROOT / folder, root / folder)
    paper = root / "environments" / "paper.yaml"
    paper.write_text(paper.read_text().replace("intensity: active", "intensity: normal"))
    return root


def check(repo: Path, *entries: str) -> CheckResult:
    (repo / WAIVERS).write_text(HEADER + "".join(entries))
    source = open_source(repo)
    return run_check(load_source(source), source=source, today=TODAY)


def waiver_findings(result: CheckResult) -> list[tuple[str, int]]:
    return sorted(
        (f.rule.id, f.line) for f in result.findings if f.rule.id.startswith("QM-WAIVER") and f.file == WAIVERS
    )


def assert_refused(result: CheckResult, rule: str) -> None:
    assert (rule, 4) in waiver_findings(result), waiver_findings(result)  # the entry starts on line 4
    assert not result.waived
    assert "QM-PAP-007" in {f.rule.id for f in result.findings}
    assert not result.passed


def test_a_waiver_within_its_bounds_waives(repo: Path) -> None:
    result = check(repo, entry())
    assert [f.rule.id for f in result.waived] == ["QM-PAP-007"]
    assert not waiver_findings(result)


@pytest.mark.parametrize("expires, ok", [("2027-03-01", True), ("2027-03-02", False), ("2099-12-31", False)])
def test_lifetime_is_at_most_max_days_from_today(repo: Path, expires: str, ok: bool) -> None:
    result = check(repo, entry(expires=expires))  # 2027-03-01 is 90 days after 2026-12-01
    if ok:
        assert [f.rule.id for f in result.waived] == ["QM-PAP-007"]
    else:
        assert_refused(result, "QM-WAIVER-004")


def test_max_days_comes_from_settings(repo: Path) -> None:
    settings = repo / "policies" / "settings.yaml"
    settings.write_text(settings.read_text().replace("max_days: 90", "max_days: 30"))
    assert_refused(check(repo, entry(expires="2027-01-30")), "QM-WAIVER-004")


@pytest.mark.parametrize("approver", ["mallory", "Sam.CTO", "sam.cto.evil", "sam"])
def test_the_approver_must_be_on_the_list(repo: Path, approver: str) -> None:
    assert_refused(check(repo, entry(approver=approver)), "QM-WAIVER-005")


def test_no_approvers_list_no_valid_waiver(repo: Path) -> None:
    (repo / "policies" / "approvers.yaml").unlink()
    result = check(repo, entry())
    assert_refused(result, "QM-WAIVER-005")
    assert any("there is no approvers list" in f.message for f in result.findings)


@pytest.mark.parametrize(
    "text",
    [
        "approvers: [sam.cto]\n",
        "apiVersion: quantmatrix.io/v1\nkind: Approvers\napprovers:\n  - {name: sam.cto, role: CTO, extra: 1}\n",
        "approvers: [\n",
    ],
)
def test_a_broken_approvers_list_approves_nobody(repo: Path, text: str) -> None:
    (repo / "policies" / "approvers.yaml").write_text(text)
    assert_refused(check(repo, entry()), "QM-WAIVER-005")


@pytest.mark.parametrize(
    "target",
    [
        "environment/*",
        "environment/pap?r",
        "environments.*",
        "environments.[a-z]*",
        "environment/staging",
        "environments/_base.yaml",
        "bases._base",
        "base/_base",
        "environments",
        "environments.",
        "secret/QM_PAPER_REDIS_URL",
        "environments.paperx",
        "environment/paper/extra",
        "'*'",
    ],
)
def test_the_target_names_exactly_one_existing_environment_or_release(repo: Path, target: str) -> None:
    assert_refused(check(repo, entry(target=target)), "QM-WAIVER-006")


@pytest.mark.parametrize(
    "target",
    [
        "environment/paper",
        "environments/paper.yaml",
        "environments.paper",
        "environments.paper.spec.monitoring",
        "declared.paper.spec",
    ],
)
def test_every_way_to_name_one_environment_is_accepted(repo: Path, target: str) -> None:
    result = check(repo, entry(target=target))
    assert "QM-WAIVER-006" not in {f.rule.id for f in result.findings}


@pytest.mark.parametrize(
    "target", ["release/2026.11.1", "releases/2026.11.1.yaml", "releases.2026.11.1.spec.checklist"]
)
def test_a_release_target_with_dots_in_its_version_is_accepted(repo: Path, target: str) -> None:
    result = check(repo, entry(target=target))
    assert "QM-WAIVER-006" not in {f.rule.id for f in result.findings}


def test_every_broken_bound_is_reported_at_the_waivers_line(repo: Path) -> None:
    result = check(repo, entry(), entry(target="environment/*", approver="mallory", expires="2099-01-01"))
    second = 9  # header (3 lines) + first entry (5 lines) + 1
    assert {("QM-WAIVER-004", second), ("QM-WAIVER-005", second), ("QM-WAIVER-006", second)} <= set(
        waiver_findings(result)
    )
    assert [f.rule.id for f in result.waived] == ["QM-PAP-007"]  # the first, valid waiver still works


def test_a_secret_in_a_waiver_is_a_finding_at_its_line_that_never_shows_the_value(repo: Path) -> None:
    result = check(repo, entry(reason="creds at https://ops:hunter2hunter2@wiki.internal/x"))
    (cfg,) = [f for f in result.findings if f.rule.id == "QM-CFG-002"]
    assert (cfg.file, cfg.line) == (WAIVERS, 6)
    assert "hunter2" not in cfg.message and not result.passed


def test_waiver_bound_findings_cannot_themselves_be_waived(repo: Path) -> None:
    sneaky = entry(target="environment/*").replace("QM-PAP-007", "QM-WAIVER-006")
    result = check(repo, sneaky)
    assert any(f.rule.id == "QM-WAIVER-001" and "cannot be waived" in f.message for f in result.findings)


def test_the_sample_waivers_and_approvers_files_are_valid(tmp_path: Path) -> None:
    source = open_source(ROOT)
    result: Any = run_check(load_source(source), source=source, today=TODAY)
    assert not [f for f in result.findings if f.rule.id.startswith("QM-WAIVER")]
