"""`qm promote`: the pin and the versions that move with it, edited in place; live only with
paper validation evidence that matches the release."""

from __future__ import annotations

import difflib

LIVE = "environments/live.yaml"
PAPER = "environments/paper.yaml"
R1101 = "releases/2026.11.1.yaml"


def changes(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "-+" and line[:3] not in ("---", "+++")
    ]


def test_promote_to_paper_moves_pin_strategies_and_analytics_and_nothing_else(repo, qm):
    before = repo.read(PAPER)
    code, out, err = qm("promote", "2026.11.0", str(repo.root), "--to", "paper")
    assert code == 0, err
    assert "pinned paper to 2026.11.0 (was 2026.11.1)" in out
    assert changes(before, repo.read(PAPER)) == [
        "-  release: 2026.11.1",
        "+  release: 2026.11.0",
        "-      version: 1.4.2",
        "+      version: 1.4.0",
        "-      version: 0.9.1",
        "+      version: 0.9.0",
        "-    logic_version: 1.3.1",
        "+    logic_version: 1.3.0",
    ]
    assert qm("validate", str(repo.root))[0] == 0


def test_promote_keeps_comments_and_quoting_byte_for_byte(repo, qm):
    repo.edit(PAPER, "  release: 2026.11.1", '  # moved by qm promote\n  release: "2026.11.1"  # the rehearsal of live')
    before = repo.read(PAPER)
    assert qm("promote", "2026.11.0", str(repo.root), "--to", "paper")[0] == 0
    after = repo.read(PAPER)
    assert '  release: "2026.11.0"  # the rehearsal of live' in after and "  # moved by qm promote" in after
    assert len(changes(before, after)) == 8


def test_promote_to_live_without_evidence_is_refused(repo, qm):
    repo.validated_in_paper()
    before = repo.read(LIVE)
    code, _, err = qm("promote", "2026.11.1", str(repo.root), "--to", "live")
    assert code == 1
    assert f"{R1101}:" in err and "needs --evidence" in err and "dep-paper-2026.11.1-1" in err
    assert repo.read(LIVE) == before


def test_promote_to_live_with_wrong_evidence_is_refused(repo, qm):
    repo.validated_in_paper()
    before = repo.read(LIVE)
    code, _, err = qm("promote", "2026.11.1", str(repo.root), "--to", "live", "--evidence", "dep-paper-2026.11.0-1")
    assert code == 1 and "evidence names deployment 'dep-paper-2026.11.0-1'" in err
    assert repo.read(LIVE) == before


def test_promote_to_live_of_a_release_without_passed_paper_is_refused(repo, qm):
    code, _, err = qm("promote", "2026.11.1", str(repo.root), "--to", "live", "--evidence", "dep-paper-2026.11.1-1")
    assert code == 1 and "records no paper validation" in err
    repo.validated_in_paper(result="failed")
    code, _, err = qm("promote", "2026.11.1", str(repo.root), "--to", "live", "--evidence", "dep-paper-2026.11.1-1")
    assert code == 1 and "failed paper validation" in err


def test_promote_to_live_with_matching_evidence_is_accepted(repo, qm):
    repo.validated_in_paper()
    before = repo.read(LIVE)
    code, out, err = qm("promote", "2026.11.1", str(repo.root), "--to", "live", "--evidence", "dep-paper-2026.11.1-1")
    assert code == 0, err
    assert "evidence: paper deployment dep-paper-2026.11.1-1" in out
    assert changes(before, repo.read(LIVE)) == [
        "-  release: 2026.11.0",
        "+  release: 2026.11.1",
        "-      version: 1.4.0",
        "+      version: 1.4.2",
        "-    logic_version: 1.3.0",
        "+    logic_version: 1.3.1",
    ]
    assert qm("validate", str(repo.root))[0] == 0


def test_evidence_block_file_is_checked_field_by_field(repo, qm, tmp_path):
    repo.validated_in_paper()
    block = tmp_path / "evidence.yaml"
    block.write_text("deployment: dep-paper-2026.11.1-1\nrelease: 2026.11.1\nenvironment: paper\nresult: failed\n")
    code, _, err = qm("promote", "2026.11.1", str(repo.root), "--to", "live", "--evidence", str(block))
    assert code == 1 and "evidence result is 'failed', expected 'passed'" in err
    block.write_text("deployment: dep-paper-2026.11.1-1\nrelease: 2026.11.1\nenvironment: paper\nresult: passed\n")
    assert qm("promote", "2026.11.1", str(repo.root), "--to", "live", "--evidence", str(block))[0] == 0
    assert "release: 2026.11.1" in repo.read(LIVE)


def test_a_strategy_the_release_does_not_pin_is_refused(repo, qm):
    before = repo.read(PAPER)
    code, _, err = qm("promote", "2026.10.0", str(repo.root), "--to", "paper")
    assert code == 2 and "runs strategy 'pairs_stat_arb', which release 2026.10.0 does not pin" in err
    assert f"{PAPER}:{repo.line_of(PAPER, 'name: pairs_stat_arb')}:" in err
    assert repo.read(PAPER) == before


def test_dry_run_and_no_op_write_nothing(repo, qm):
    before = repo.read(PAPER)
    code, out, _ = qm("promote", "2026.11.0", str(repo.root), "--to", "paper", "--dry-run")
    assert code == 0 and "would pin paper to 2026.11.0" in out and repo.read(PAPER) == before
    code, out, _ = qm("promote", "2026.11.1", str(repo.root), "--to", "paper")
    assert code == 0 and "already runs 2026.11.1" in out and repo.read(PAPER) == before


def test_unknown_release_or_environment_is_exit_2(repo, qm):
    assert qm("promote", "2030.1.0", str(repo.root), "--to", "paper")[0] == 2
    code, _, err = qm("promote", "2026.11.0", str(repo.root), "--to", "staging")
    assert code == 2 and "no environment 'staging'" in err
