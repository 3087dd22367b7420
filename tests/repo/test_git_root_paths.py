"""The desired state in a subdirectory of its repository (`deploy/`): `--ref` and `--base`
read that subtree at the ref, and every report names files from the git root, as GitHub
resolves SARIF URIs and `::error file=` annotations (a path relative to `deploy/` points
at a file that does not exist)."""

from __future__ import annotations

import json
import re
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


def _line_of(file: Path, text: str) -> int:
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if text in line)


@pytest.fixture
def changed(repo: Path) -> Path:
    """On `feature`: live's daily loss raised, `local` removed, a policy setting edited."""
    git(repo, "checkout", "-q", "-b", "feature")
    live = repo / "deploy/environments/live.yaml"
    live.write_text(live.read_text().replace("max_daily_loss: 1500", "max_daily_loss: 2000"))
    (repo / "deploy/environments/local.yaml").unlink()
    settings = repo / "deploy/policies/settings.yaml"
    settings.write_text(settings.read_text() + "# reviewed\n")
    git(repo, "commit", "-qam", "raise live, drop local")
    return repo


def test_diff_names_every_location_from_the_git_root_in_every_format(changed: Path, qm) -> None:
    live = f"deploy/environments/live.yaml:{_line_of(changed / 'deploy/environments/live.yaml', 'max_daily_loss')}"
    code, out, err = qm("diff", changed / "deploy", "--base", "main")
    assert code == 0, err
    assert f"max_daily_loss  1,500 → 2,000  +33.3%  ⚠ increases risk  {live}" in out
    assert "main:deploy/environments/local.yaml:" in out  # only the base holds it: named by its ref
    assert "deploy/policies/settings.yaml" in out
    # every file:line shown is from the git root (a head file) or REF:file (a base file)
    shown = re.findall(r"\S*(?:environments|releases|policies)/\S+:\d+", out)
    assert shown and all(s.startswith(("deploy/", "main:deploy/")) for s in shown), shown

    code, out, err = qm("diff", changed / "deploy", "--base", "main", "--format", "json")
    document = json.loads(out)
    assert document["environments"]["live"]["risk"]["max_daily_loss"]["location"] == live
    removed = document["environments"]["local"]
    assert removed["release"]["location"].startswith("main:deploy/environments/local.yaml:")
    assert removed["strategies"]["removed"]["momentum_breakout"]["location"].startswith("main:deploy/environments/")
    assert [f["name"] for f in document["policies"]["files"]] == ["deploy/policies/settings.yaml"]

    code, out, err = qm("diff", changed / "deploy", "--base", "main", "--format", "markdown", "--today", TODAY)
    assert code == 0, err
    # the gate's findings are where `qm check --base` puts them
    assert "`deploy/environments/backtest.yaml:18:5`" in out
    assert "| `deploy/policies/settings.yaml` | changed |" in out
    code, github, _ = qm("check", changed / "deploy", "--base", "main", "--today", TODAY, "--format", "github")
    assert "::error file=deploy/environments/backtest.yaml,line=18," in github


def test_diff_names_a_broken_pack_from_the_git_root(changed: Path, qm) -> None:
    (changed / "deploy/policies/broken.rego").write_text("package qm.rules.broken\n\ndeny contains f if {\n")
    code, out, err = qm("diff", changed / "deploy", "--base", "main", "--format", "markdown")
    assert code == 2
    assert "The policy gate could not run: deploy/policies/broken.rego:" in out
    assert err.startswith("deploy/policies/broken.rego:")
    code, _, err = qm("check", changed / "deploy", "--today", TODAY)  # and qm check says the same
    assert code == 2 and err.startswith("deploy/policies/broken.rego:")
