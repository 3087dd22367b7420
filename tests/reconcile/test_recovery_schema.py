"""A failed apply reverses its own migration when the release declares it reversible
(recovery.py), with the applied tree's scripts: local's sandbox, SQLite store."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from quantmatrix.errors import ExitCode

Run = Callable[..., subprocess.CompletedProcess[str]]


def _revision(repo: Path) -> str:
    with sqlite3.connect(repo / ".qm" / "local" / "state.db") as db:
        return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_a_failed_upgrade_reverses_the_migration_it_declared_reversible(local_repo: Path, qm_run: Run) -> None:
    for release in ("2026.10.0", "2026.11.0"):
        pinned = qm_run(local_repo, "promote", release, "--to", "local", ".")
        assert pinned.returncode == 0, pinned.stdout + pinned.stderr
        if release == "2026.10.0":
            assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
            assert _revision(local_repo) == "0001_baseline"
    # the migration lands, then the api deploy fails: 2026.11.0 declares 0002 reversible
    failed = qm_run(local_repo, "apply", "local", "--yes", failpoints="step.after_deploy.api=error")
    assert failed.returncode == ExitCode.DEPLOY_FAILED, failed.stdout + failed.stderr
    assert "migrations: reversed to 0001_baseline (declared reversible, rollback plan agrees)" in failed.stderr
    assert _revision(local_repo) == "0001_baseline"
