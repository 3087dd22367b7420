"""`qm status` without ENV: every environment of the desired state, an unreadable one shown
as unavailable without hiding the others."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from quantmatrix.errors import ExitCode

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_all_environments_text_and_json(local_repo: Path, qm_run: Run, monkeypatch: object) -> None:
    for name in ("QM_PAPER_POSTGRES_URL", "QM_BACKTEST_POSTGRES_URL", "QM_LIVE_POSTGRES_URL"):
        monkeypatch.delenv(name, raising=False)  # type: ignore[attr-defined]
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    text = qm_run(local_repo, "status")
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert sorted(lines) == ["backtest", "live", "local", "paper"]
    assert (
        "in sync" in lines["local"]
        and "trading ACTIVE" in lines["local"]
        and "dep-local-2026.11.1-1 succeeded" in lines["local"]
    )
    assert "unavailable: secret QM_PAPER_POSTGRES_URL is not set" in lines["paper"]

    docs = json.loads(qm_run(local_repo, "status", "--format", "json").stdout)
    by_name = {d["environment"]: d for d in docs}
    assert [d["environment"] for d in docs] == ["backtest", "live", "local", "paper"]
    assert by_name["local"]["in_sync"] is True and by_name["local"]["trading"]["state"] == "ACTIVE"
    assert by_name["local"] == json.loads(qm_run(local_repo, "status", "local", "--format", "json").stdout) | {
        "monitoring_until": by_name["local"]["monitoring_until"]
    }
    assert by_name["paper"]["mode"] == "paper" and "unavailable" in by_name["paper"]


def test_exit_3_only_when_no_environment_can_be_read(local_repo: Path, qm_run: Run, monkeypatch: object) -> None:
    for name in ("QM_PAPER_POSTGRES_URL", "QM_BACKTEST_POSTGRES_URL", "QM_LIVE_POSTGRES_URL"):
        monkeypatch.delenv(name, raising=False)  # type: ignore[attr-defined]
    store = local_repo / ".qm" / "local" / "state.db"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"not a database at all\x00" * 64)  # a hostile store file: never a traceback
    broken = qm_run(local_repo, "status")
    assert broken.returncode == ExitCode.UNAVAILABLE, broken.stdout + broken.stderr
    assert "Traceback" not in broken.stderr + broken.stdout and "unexpected error" not in broken.stderr
    assert all("unavailable" in line for line in broken.stdout.splitlines()) and len(broken.stdout.splitlines()) == 4
