"""`qm apply ENV --ref REF` applies exactly that commit, its migrations included: a real git
repository whose work tree's `migrations/` differs from the commit's (a committed revision
deleted from the work tree must run; an uncommitted one must not), on local's sandbox."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from quantmatrix.errors import ExitCode

Run = Callable[..., subprocess.CompletedProcess[str]]
Git = Callable[..., str]

REVISION = '''"""A revision only the commit carries."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "0002_fills_exec_time_idx"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("{table}")
'''


def _release_2026_12_0(repo: Path) -> None:
    """2026.12.0: 2026.11.1's services, schema 0003_commit_only; local pinned to it."""
    text = (repo / "releases" / "2026.11.1.yaml").read_text()
    for old, new in (
        ("name: 2026.11.1", "name: 2026.12.0"),
        ("config_version: 2026.11.1", "config_version: 2026.12.0"),
        (
            "    revision: 0002_fills_exec_time_idx\n",
            "    revision: 0003_commit_only\n    backward_compatible: true\n    reversible: true\n",
        ),
        ("    migrations: []", "    migrations: [0003_commit_only adds table from_commit]"),
        ("previous: 2026.11.0", "previous: 2026.11.1"),
        (
            "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-16}\n",
            "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-16}\n"
            "    migrations_reviewed: {by: ana.dba, at: 2026-11-20, reference: DB-400}\n",
        ),
    ):
        assert old in text, old
        text = text.replace(old, new)
    (repo / "releases" / "2026.12.0.yaml").write_text(text)
    (repo / "migrations" / "versions" / "0003_commit_only.py").write_text(
        REVISION.format(revision="0003_commit_only", table="from_commit")
    )
    local = repo / "environments" / "local.yaml"
    local.write_text(local.read_text().replace("  release: 2026.11.1\n", "  release: 2026.12.0\n"))


def _schema(repo: Path) -> tuple[str, set[str]]:
    with sqlite3.connect(repo / ".qm" / "local" / "state.db") as db:
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return revision, tables


def test_apply_ref_runs_the_commits_migrations_not_the_work_trees(local_repo: Path, git: Git, qm_run: Run) -> None:
    git(local_repo, "init", "-q", "-b", "main")
    git(local_repo, "add", "-A")
    git(local_repo, "commit", "-q", "-m", "2026.11.1")
    before = git(local_repo, "rev-parse", "HEAD").strip()
    _release_2026_12_0(local_repo)
    git(local_repo, "add", "-A")
    git(local_repo, "commit", "-q", "-m", "2026.12.0 with 0003_commit_only")
    commit = git(local_repo, "rev-parse", "HEAD").strip()
    # the work tree drifts from the commit: its revision is gone, an uncommitted one took its place
    versions = local_repo / "migrations" / "versions"
    (versions / "0003_commit_only.py").unlink()
    (versions / "0003_worktree_only.py").write_text(
        REVISION.format(revision="0003_worktree_only", table="from_worktree")
    )

    planned = json.loads(qm_run(local_repo, "plan", "local", "--ref", commit, "--format", "json").stdout)
    assert planned["blockers"] == [] and planned["commit"] == commit
    step = next(s for s in planned["steps"] if s["id"] == "migrations")
    assert step["changes"] == [{"subject": "migrations", "before": None, "after": "0003_commit_only"}]

    done = qm_run(local_repo, "apply", "local", "--ref", commit, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    revision, tables = _schema(local_repo)
    assert revision == "0003_commit_only" and "from_commit" in tables  # the commit's revision ran
    assert "from_worktree" not in tables  # the uncommitted one did not
    assert not (local_repo / "migrations" / "versions" / "__pycache__").exists()  # nothing ran from the work tree

    in_sync = qm_run(local_repo, "plan", "local", "--ref", commit, "--detailed-exitcode")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    # the plan's revision check reads the chain of the commit it is given: the earlier one
    # does not know 0003_commit_only, so its plan is blocked, and its apply refused
    older = json.loads(qm_run(local_repo, "plan", "local", "--ref", before, "--format", "json").stdout)
    assert older["blockers"] == [
        "the database is at revision 0003_commit_only, which migrations/ does not know: inspect it before applying"
    ]
    refused = qm_run(local_repo, "apply", "local", "--ref", before, "--yes")
    assert refused.returncode == ExitCode.VIOLATIONS and "0003_commit_only" in refused.stderr
    assert _schema(local_repo)[0] == "0003_commit_only"
