"""The desired state in a subdirectory of its repository (`deploy/`): `--ref` and `--base`
read that subtree at the ref, and every report names files from the git root, as GitHub
resolves SARIF URIs and `::error file=` annotations (a path relative to `deploy/` points
at a file that does not exist)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"
GIT = ["git", "-c", "user.name=QM Test", "-c", "user.email=qm-test@example.invalid", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        [*GIT, *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={"GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose desired state (and policy pack) lives in `deploy/`; backtest routes
    live orders (a QM-SEP-004 denial at deploy/environments/backtest.yaml:18)."""
    root = tmp_path / "repo"
    for folder in ("environments", "releases", "policies"):
        shutil.copytree(ROOT / folder, root / "deploy" / folder)
    backtest = root / "deploy/environments/backtest.yaml"
    backtest.write_text(backtest.read_text().replace("routes_live_orders: false", "routes_live_orders: true"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "state in deploy/")
    return root


def test_sarif_and_github_annotations_name_files_from_the_git_root(repo: Path, qm, monkeypatch) -> None:
    for where, path in ((repo, "deploy"), (repo / "deploy", ".")):
        monkeypatch.chdir(where)
        code, out, _ = qm("check", path, "--format", "github", "--today", TODAY)
        assert code == 1 and "::error file=deploy/environments/backtest.yaml,line=18," in out
        code, out, _ = qm("check", path, "--format", "sarif", "--today", TODAY)
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"]
            for loc in r["locations"]
        }
        assert uris == {"deploy/environments/backtest.yaml"}


def test_ref_and_base_read_the_subtree_and_name_its_files_git_style(repo: Path, qm) -> None:
    code, out, err = qm("validate", repo / "deploy", "--ref", "main")
    assert code == 0, err
    live = repo / "deploy/environments/live.yaml"
    live.write_text(live.read_text().replace("mode: live", "mode: liev"))
    git(repo, "commit", "-qam", "break live")
    git(repo, "branch", "broken")
    git(repo, "checkout", "-q", "HEAD~1", "--", "deploy")  # the work tree is valid again
    code, _, err = qm("validate", repo / "deploy", "--ref", "broken")
    assert code == 2 and "broken:deploy/environments/live.yaml:12:3: spec.mode:" in err
    # --base: the broken base is named with its ref, not as a file of the work tree
    code, _, err = qm("check", repo / "deploy", "--base", "broken", "--today", TODAY)
    assert code == 2 and "broken:deploy/environments/live.yaml:12:3" in err
    assert "--ref" not in err
    code, out, err = qm("check", repo / "deploy", "--base", "broken~1", "--today", TODAY, "--format", "github")
    assert code == 1 and "::error file=deploy/environments/backtest.yaml,line=18," in out, err
    code, out, err = qm("diff", repo / "deploy", "--base", "broken")
    assert code == 2 and "broken:deploy/environments/live.yaml:12:3" in err


def test_a_work_tree_problem_is_named_from_the_git_root_too(repo: Path, qm) -> None:
    live = repo / "deploy/environments/live.yaml"
    live.write_text(live.read_text().replace("mode: live", "mode: liev"))
    code, _, err = qm("check", repo / "deploy", "--today", TODAY)
    assert code == 2 and "deploy/environments/live.yaml:12:3: spec.mode:" in err and "main:" not in err


def test_outside_any_repository_paths_stay_relative_to_the_state(tmp_path: Path, qm) -> None:
    state = tmp_path / "plain"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, state / folder)
    live = state / "environments/live.yaml"
    live.write_text(live.read_text().replace("mode: live", "mode: liev"))
    code, _, err = qm("validate", state)
    assert code == 2 and err.startswith("environments/live.yaml:12:3")
