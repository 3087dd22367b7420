"""`migration_scripts`: the applied tree's `migrations/` copied for alembic, from a real git
commit or the work tree, through the Source's symlink and file-name rules."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo.migration_scripts import migration_scripts
from quantmatrix.repo.source import GitSource, open_source

Git = Callable[..., str]


@pytest.fixture
def repo(tmp_path: Path, git: Git) -> Path:
    root = tmp_path / "repo"
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "shared").mkdir()
    (root / "migrations" / "env.py").write_text("# env\n")
    (root / "migrations" / "script.py.mako").write_text("# template\n")
    (root / "migrations" / "README").write_text("not a script\n")
    (root / "migrations" / "versions" / "0001_a.py").write_text('revision = "0001_a"\n')
    (root / "shared" / "0002_b.py").write_text('revision = "0002_b"\n')
    os.symlink("../../shared/0002_b.py", root / "migrations" / "versions" / "0002_b.py")  # stays inside
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "migrations")
    return root


def _listing(top: Path) -> dict[str, str]:
    return {str(p.relative_to(top)): p.read_text() for p in sorted(top.rglob("*")) if p.is_file()}


def test_a_commit_is_copied_not_the_work_tree(repo: Path, git: Git) -> None:
    (repo / "migrations" / "versions" / "0003_uncommitted.py").write_text('revision = "0003_uncommitted"\n')
    (repo / "migrations" / "versions" / "0001_a.py").unlink()  # deleted in the work tree only
    with migration_scripts(open_source(repo, "main")) as scripts:
        assert _listing(scripts) == {
            "env.py": "# env\n",
            "script.py.mako": "# template\n",
            "versions/0001_a.py": 'revision = "0001_a"\n',
            "versions/0002_b.py": 'revision = "0002_b"\n',  # the link's target, as a plain file
        }
        assert not (scripts / "versions" / "0002_b.py").is_symlink()
        # private: only this user can read what is about to be executed
        assert stat.S_IMODE(scripts.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE((scripts / "env.py").stat().st_mode) == 0o600
        kept = scripts
    assert not kept.exists()  # removed afterwards
    with migration_scripts(open_source(repo)) as scripts:  # the work tree: what is there now
        assert set(_listing(scripts)) == {
            "env.py",
            "script.py.mako",
            "versions/0002_b.py",
            "versions/0003_uncommitted.py",
        }


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../outside.py"])
def test_a_committed_link_out_of_the_repository_is_refused(repo: Path, git: Git, target: str) -> None:
    (repo.parent / "outside.py").write_text("print('escaped')\n")
    os.symlink(target, repo / "migrations" / "versions" / "0003_out.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a link out")
    for source in (GitSource(repo, "HEAD"), open_source(repo)):
        with pytest.raises(ConfigError) as refused, migration_scripts(source):
            pass
        (problem,) = refused.value.problems
        assert problem.file == "migrations/versions/0003_out.py" and "leaves the repository" in problem.message


def test_no_alembic_environment_is_refused(repo: Path, git: Git) -> None:
    git(repo, "rm", "-q", "migrations/env.py")
    git(repo, "commit", "-q", "-m", "no env")
    with pytest.raises(ConfigError, match="no alembic environment"), migration_scripts(open_source(repo, "HEAD")):
        pass
