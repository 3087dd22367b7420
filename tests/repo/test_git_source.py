"""`--ref`: the desired state of a commit, read from a real temporary git repository without
touching the work tree or the index."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo.loader import load


def _snapshot(repo: Path) -> dict[str, str]:
    """Content hash of every file, .git included (index, HEAD, refs)."""
    return {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file()
    }


def test_ref_reads_the_committed_tree_not_the_work_tree(git_repo: Path) -> None:
    live = git_repo / "environments/live.yaml"
    live.write_text(live.read_text().replace("max_daily_loss: 1500", "max_daily_loss: 9999"))
    (git_repo / "environments/staging.yaml").write_text("uncommitted: [broken\n")

    committed = load(git_repo, "main")

    assert committed.environments["live"].spec.risk.max_daily_loss == 1500
    assert "staging" not in committed.environments
    assert committed.source.startswith("main@")
    with pytest.raises(ConfigError):  # the work tree itself is broken
        load(git_repo)


def test_ref_sees_each_commit(git_repo: Path, git) -> None:
    first = git(git_repo, "rev-parse", "HEAD").strip()
    live = git_repo / "environments/live.yaml"
    live.write_text(live.read_text().replace("max_daily_loss: 1500", "max_daily_loss: 1200"))
    git(git_repo, "commit", "-q", "-am", "lower the live daily loss limit")

    assert load(git_repo, "HEAD").environments["live"].spec.risk.max_daily_loss == 1200
    assert load(git_repo, "HEAD~1").environments["live"].spec.risk.max_daily_loss == 1500
    assert load(git_repo, first[:12]).environments["live"].spec.risk.max_daily_loss == 1500


def test_reading_a_ref_touches_nothing(git_repo: Path, git) -> None:
    paper = git_repo / "environments/paper.yaml"
    paper.write_text(paper.read_text() + "# work in progress\n")
    git(git_repo, "branch", "proposal")
    before, status = _snapshot(git_repo), git(git_repo, "status", "--porcelain")

    load(git_repo, "proposal")

    assert _snapshot(git_repo) == before
    assert git(git_repo, "status", "--porcelain") == status
    assert git(git_repo, "branch", "--show-current").strip() == "main"


def test_problems_at_a_ref_name_the_file_and_line_in_that_commit(git_repo: Path, git, line_in) -> None:
    live = git_repo / "environments/live.yaml"
    live.write_text(live.read_text().replace("  mode: live\n", "  mode: live\n  mode: paper\n"))
    git(git_repo, "commit", "-q", "-am", "oops")
    line = line_in(live, "mode: paper")
    live.write_text(live.read_text().replace("  mode: paper\n", ""))  # fixed in the work tree only

    with pytest.raises(ConfigError) as caught:
        load(git_repo, "main")
    assert [str(p) for p in caught.value.problems] == [
        f"environments/live.yaml:{line}:3: spec.mode: duplicate key 'mode' (first defined at line {line - 1})"
    ]
    load(git_repo)  # the work tree is fine


def test_bad_ref_exits_2_with_a_clean_message(git_repo: Path, run_qm) -> None:
    result = run_qm("validate", git_repo, "--ref", "no-such-branch")
    assert result.code == 2
    assert result.err.splitlines()[0] == f"{git_repo}: git ref 'no-such-branch' does not name a commit here"
    assert "Traceback" not in result.output


def test_a_ref_that_looks_like_an_option_is_refused(git_repo: Path, run_qm) -> None:
    result = run_qm("validate", git_repo, "--ref=--output=/tmp/x")
    assert result.code == 2
    assert "not a git ref" in result.err


def test_ref_outside_a_git_repository(sample_repo: Path, run_qm) -> None:
    result = run_qm("validate", sample_repo, "--ref", "main")
    assert result.code == 2
    assert "not a git repository" in result.err
    assert "Traceback" not in result.output


def test_a_ref_of_a_folder_that_holds_no_state_says_so(git_repo: Path, run_qm) -> None:
    result = run_qm("validate", git_repo / "environments", "--ref", "main")
    assert result.code == 2
    assert "no environment files found" in result.err and "Traceback" not in result.output


def test_validate_and_render_at_a_ref_through_the_cli(git_repo: Path, run_qm) -> None:
    live = git_repo / "environments/live.yaml"
    live.write_text(live.read_text().replace("max_daily_loss: 1500", "max_daily_loss: -1"))

    assert run_qm("validate", git_repo).code == 2
    valid = run_qm("validate", git_repo, "--ref", "main")
    assert valid.code == 0, valid.output
    assert "valid: 4 environments" in valid.out and "main@" in valid.out
    rendered = run_qm("render", "live", git_repo, "--ref", "main", "--format", "json")
    assert rendered.code == 0
    assert '"max_daily_loss": 1500' in rendered.out
