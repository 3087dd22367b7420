"""`usecases.load_state`: the one way every command loads the desired state at PATH or
`--ref`. Proved through the commands themselves: each names a problem of a state kept in
`deploy/` from the git root, and a problem in a ref as `REF:file`, exactly as `qm check`
does; a command that loaded the state its own way would say `environments/live.yaml`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import quantmatrix.cli
from quantmatrix.errors import ConfigError
from quantmatrix.usecases.load import load_state

LIVE = "deploy/environments/live.yaml"
BAD_MODE = ":12:3: spec.mode:"  # `mode: liev` in live.yaml


def break_live(repo) -> None:  # type: ignore[no-untyped-def]
    repo.edit(LIVE, "mode: live", "mode: liev")


def test_load_state_gives_the_state_and_its_source(deploy_repo):
    loaded = load_state(deploy_repo.root / "deploy")
    assert "live" in loaded.state.environments
    assert loaded.source.read("environments/live.yaml") == (deploy_repo.root / LIVE).read_bytes()
    at_main = load_state(deploy_repo.root / "deploy", "main")
    assert at_main.state.environments.keys() == loaded.state.environments.keys()


def test_load_state_names_problems_from_the_git_root_and_by_ref(deploy_repo):
    break_live(deploy_repo)
    deploy_repo.commit("break live")
    deploy_repo.git("branch", "broken")
    with pytest.raises(ConfigError) as raised:
        load_state(deploy_repo.root / "deploy")
    assert [p.file for p in raised.value.problems] == [LIVE]
    deploy_repo.git("checkout", "-q", "HEAD~1", "--", "deploy")  # the work tree is valid again
    with pytest.raises(ConfigError) as raised:
        load_state(deploy_repo.root / "deploy", "broken")
    assert [p.file for p in raised.value.problems] == [f"broken:{LIVE}"]


WITH_REF = [
    ("validate", "{path}"),
    ("check", "{path}"),
    ("render", "live", "{path}"),
    ("plan", "live", "{path}"),
    ("apply", "live", "{path}", "--yes"),
    ("rollback", "live", "{path}", "--yes"),
    ("status", "live", "{path}"),
    ("status",),  # every environment, of the state in the current directory
    ("checks", "live", "{path}"),
]


@pytest.mark.parametrize("command", WITH_REF, ids=" ".join)
def test_every_command_with_ref_names_a_problem_of_the_ref_git_style(deploy_repo, qm, command, monkeypatch):
    break_live(deploy_repo)
    deploy_repo.commit("break live")
    deploy_repo.git("branch", "broken")
    deploy_repo.git("checkout", "-q", "HEAD~1", "--", "deploy")
    path = str(deploy_repo.root / "deploy")
    monkeypatch.chdir(path)
    code, out, err = qm(*[a.format(path=path) for a in command], "--ref", "broken")
    assert code == 2 and err.startswith(f"broken:{LIVE}{BAD_MODE}"), (out, err)


WORK_TREE = [
    ("history", "live", "{path}"),
    ("halt", "live", "{path}", "--reason", "test"),
    ("resume", "live", "{path}"),
    ("down", "live", "{path}"),
    ("serve", "--path", "{path}", "--port", "0"),
    ("promote", "2026.11.0", "{path}", "--to", "paper"),
    ("release", "new", "2026.12.0", "{path}"),
    ("plan", "live", "{path}"),
    ("validate", "{path}"),
]


@pytest.mark.parametrize("command", WORK_TREE, ids=" ".join)
def test_every_command_names_a_problem_of_the_work_tree_from_the_git_root(deploy_repo, qm, command):
    break_live(deploy_repo)
    path = str(deploy_repo.root / "deploy")
    code, out, err = qm(*[a.format(path=path) for a in command])
    assert code == 2 and err.startswith(f"{LIVE}{BAD_MODE}"), (out, err)


def test_no_command_loads_the_state_its_own_way():
    """The CLI reaches the loader only through `load_state` (the behaviour above, for any
    command added later)."""
    cli = Path(quantmatrix.cli.__file__).parent
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in sorted(cli.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "quantmatrix.repo.loader"
    ]
    assert offenders == []
