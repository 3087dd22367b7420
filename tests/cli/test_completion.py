"""Shell completion: environment names, release versions and git refs, through click's own
completion machinery (what `_QM_COMPLETE=bash_complete` runs), and the `quantmatrix` alias."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete

from quantmatrix.cli import cli


def complete(args: list[str], incomplete: str) -> list[str]:
    return [item.value for item in ShellComplete(cli, {}, "qm", "_QM_COMPLETE").get_completions(args, incomplete)]


@pytest.fixture
def in_repo(sample_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(sample_repo)
    return sample_repo


def test_environment_names_not_bases_nor_the_catalog(in_repo: Path) -> None:
    (in_repo / "environments/secrets").mkdir()
    (in_repo / "environments/secrets/live.yaml").write_text("kind: SecretCatalog\n")
    assert complete(["render"], "") == ["backtest", "live", "local", "paper"]
    assert complete(["render"], "l") == ["live", "local"]
    assert complete(["promote", "2026.11.1", "--to"], "pa") == ["paper"]


def test_names_come_from_the_path_argument_when_it_is_given(
    sample_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no environments/ here
    assert complete(["render"], "") == []
    assert complete(["promote", "2026.11.1", str(sample_repo), "--to"], "") == ["backtest", "live", "local", "paper"]


def test_release_versions_newest_first(in_repo: Path) -> None:
    assert complete(["promote"], "") == ["2026.11.1", "2026.11.0", "2026.10.0"]
    assert complete(["promote"], "2026.10") == ["2026.10.0"]
    assert complete(["release", "new", "2026.12.0", "--from"], "2026.11") == ["2026.11.1", "2026.11.0"]


def test_git_refs_for_every_ref_option(in_repo: Path, git) -> None:
    git(in_repo, "init", "-q", "-b", "main")
    git(in_repo, "add", "-A")
    git(in_repo, "commit", "-q", "-m", "sample")
    git(in_repo, "branch", "release/2026.12")
    git(in_repo, "tag", "v0.1.0")
    refs = ["HEAD", "main", "release/2026.12", "v0.1.0"]
    for args in (
        ["check", "--base"],
        ["check", "--ref"],
        ["diff", "--base"],
        ["diff", "--base", "main", "--head"],
        ["validate", "--ref"],
        ["render", "live", "--ref"],
    ):
        assert complete(args, "") == refs, args
    assert complete(["diff", "--base"], "rel") == ["release/2026.12"]


def test_completion_never_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # not a git repository, no desired state
    assert complete(["check", "--base"], "") == []
    assert complete(["promote"], "") == []
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert complete(["diff", "--base"], "") == []


def _script(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        pytest.skip(f"the {name} console script is not installed next to {sys.executable} (pip install -e .)")
    return str(path)


@pytest.mark.parametrize("name", ["qm", "quantmatrix"])
def test_both_commands_print_a_completion_script_for_themselves(name: str, sample_repo: Path) -> None:
    env = {**os.environ, f"_{name.upper()}_COMPLETE": "bash_source"}
    done = subprocess.run([_script(name)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and f"_{name.upper()}_COMPLETE=bash_complete" in done.stdout
    assert done.stdout.rstrip().endswith(f"_{name}_completion_setup;")
    env = {
        **os.environ,
        f"_{name.upper()}_COMPLETE": "bash_complete",
        "COMP_WORDS": f"{name} render l",
        "COMP_CWORD": "2",
    }
    done = subprocess.run(
        [_script(name)], env=env, cwd=sample_repo, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout.split() == ["plain,live", "plain,local"]
