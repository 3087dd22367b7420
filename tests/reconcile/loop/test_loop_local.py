"""`qm reconcile --once` on local's embedded default (SQLite store, no Redis, file ownership
lock), as whole processes: the first pass applies, the second finds it in sync; a second
reconciler that cannot own the environment skips it; a bad environment name exits 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quantmatrix.reconcile.ownership import try_own_file


def test_once_applies_local_then_is_in_sync(local_repo: Path, qm_run: Callable[..., Any]) -> None:
    first = qm_run(local_repo, "reconcile", "local", "--once", "--path", str(local_repo))
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.strip() == "local: applied"
    second = qm_run(local_repo, "reconcile", "local", "--once", "--path", str(local_repo))
    assert (second.returncode, second.stdout.strip()) == (0, "local: in_sync")
    owned = try_own_file(local_repo, "local")  # another reconciler owns local now: this one skips it
    assert owned is not None
    try:
        skipped = qm_run(local_repo, "reconcile", "local", "--once", "--path", str(local_repo))
        assert (skipped.returncode, skipped.stdout.strip()) == (0, "local: skipped")
    finally:
        owned.release()


def test_unknown_environment_and_half_a_follow_are_usage_errors(local_repo: Path, qm_run: Callable[..., Any]) -> None:
    unknown = qm_run(local_repo, "reconcile", "nowhere", "--once", "--path", str(local_repo))
    assert unknown.returncode == 2 and "no environment nowhere" in unknown.stderr and "Traceback" not in unknown.stderr
    half = qm_run(local_repo, "reconcile", "--once", "--repo", str(local_repo))
    assert half.returncode == 2 and "--branch" in half.stderr
    bad = qm_run(local_repo, "reconcile", "--once", "--repo", str(local_repo), "--branch", "--upload-pack=x")
    assert bad.returncode == 2 and "not a valid branch name" in bad.stderr
    env = {k: v for k, v in os.environ.items() if k != "QM_WEBHOOK_SECRET"}
    unsigned = subprocess.run(
        [sys.executable, "-m", "quantmatrix", "reconcile", "local", "--webhook-port", "0", "--path", str(local_repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        unsigned.returncode == 2 and "QM_WEBHOOK_SECRET is not set" in unsigned.stderr
    )  # no secret, no webhook: fail closed
