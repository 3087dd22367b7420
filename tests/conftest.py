"""Fixtures shared by the desired-state tests (tests/model, tests/repo, tests/cli).

`qm` (run the CLI in-process) serves every test folder; `repo` fixtures are per folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "QM Test",
    "GIT_AUTHOR_EMAIL": "qm-test@example.invalid",
    "GIT_COMMITTER_NAME": "QM Test",
    "GIT_COMMITTER_EMAIL": "qm-test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass
class QmResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A private copy of the sample repository (environments/, releases/) to break at will."""
    repo = tmp_path / "repo"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, repo / folder)
    return repo


@pytest.fixture
def qm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `qm ARGS...` in-process through the real CLI edge (exit codes, error rendering);
    returns (exit code, stdout, stderr)."""
    from quantmatrix.cli import cli
    from quantmatrix.cli.edge import run

    def invoke(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(cli, [str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def run_qm(qm: Callable[..., tuple[int, str, str]]) -> Callable[..., QmResult]:
    """`qm`, with the result as a `QmResult`."""
    return lambda *args: QmResult(*qm(*args))


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def git() -> Callable[..., str]:
    """`git(repo, *args)`: run git with a fixed identity and no user or system configuration."""
    return _git


@pytest.fixture
def git_repo(sample_repo: Path) -> Path:
    """The sample repository as a real git repository with one commit on `main`."""
    _git(sample_repo, "init", "-q", "-b", "main")
    _git(sample_repo, "add", "environments", "releases")
    _git(sample_repo, "commit", "-q", "-m", "sample")
    return sample_repo


def _line_in(file: Path, text: str) -> int:
    content = file.read_bytes().decode("utf-8", "replace")
    assert content.count(text) == 1, f"{text!r} occurs {content.count(text)} times in {file}"
    return content[: content.index(text)].count("\n") + 1


@pytest.fixture
def line_in() -> Callable[[Path, str], int]:
    """`line_in(file, text)`: 1-based line of the only occurrence of `text` in `file`."""
    return _line_in
