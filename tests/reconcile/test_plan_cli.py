"""`qm plan` and `qm status` as a user runs them, on a fresh repository (nothing running)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from quantmatrix.errors import ExitCode

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_plan_formats_on_a_fresh_environment(local_repo: Path, qm_run: Run) -> None:
    text = qm_run(local_repo, "plan", "local")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "local (local): release (none) → 2026.11.1"
    assert (
        "Migrate the database to 0002_fills_exec_time_idx" in text.stdout
        and "7 step(s) change the system, 11 in all" in text.stdout
    )
    doc = json.loads(qm_run(local_repo, "plan", "local", "--format", "json").stdout)
    assert (
        doc["in_sync"] is False
        and doc["change_count"] == 7
        and doc["environment"] == "local"
        and doc["mode"] == "local"
    )
    assert [s["id"] for s in doc["steps"]][:4] == ["readiness", "pause_trading", "configuration", "migrations"]
    assert doc["steps"][4]["changes"] == [{"subject": "component.api", "before": None, "after": "3.3.1"}]
    markdown = qm_run(local_repo, "plan", "local", "--format", "markdown").stdout
    assert (
        markdown.startswith("### Plan: local (local)")
        and "| 5 | Deploy api 3.3.1 | component.api: (none) → 3.3.1 |" in markdown
    )
    assert not (local_repo / ".qm" / "local" / "state.db").exists()  # plan writes nothing


def test_status_of_a_fresh_environment_is_out_of_sync_and_not_trading(local_repo: Path, qm_run: Run) -> None:
    doc = json.loads(qm_run(local_repo, "status", "local", "--format", "json").stdout)
    assert doc["in_sync"] is False and doc["trading"]["state"] is None and doc["last_deployment"] is None
    assert {d["subject"] for d in doc["drift"]} == {
        "configuration",
        "migrations",
        "component.api",
        "component.workers",
        "component.ui",
        "trading",
    }
    assert doc["running"]["components"]["api"] == {"version": None, "health": "missing"}


@pytest.mark.parametrize("name", ["nope", "../etc", "LOCAL", "a\x1b[31m"])
def test_an_unknown_or_hostile_environment_is_invalid_input(
    local_repo: Path, qm: Callable[..., tuple[int, str, str]], name: str
) -> None:
    for args in (
        ("plan", name),
        ("status", name),
        ("apply", name, "--yes"),
        ("halt", name, "--reason", "x"),
        ("down", name),
    ):
        code, out, err = qm(*args[:2], local_repo, *args[2:])
        assert code == ExitCode.INVALID, (args, err)
        assert "Traceback" not in err and "\x1b[31m" not in out + err


def test_paper_without_its_store_secret_is_refused_by_name_not_value(
    local_repo: Path, qm_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QM_PAPER_POSTGRES_URL", raising=False)
    result = qm_run(local_repo, "plan", "paper")
    assert result.returncode == ExitCode.INVALID, result.stderr
    assert "QM_PAPER_POSTGRES_URL" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_store_is_unavailable(local_repo: Path, qm_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", "postgresql://qm:hunter2-canary@127.0.0.1:9/qm")
    result = qm_run(local_repo, "status", "paper")
    assert result.returncode == ExitCode.UNAVAILABLE, result.stderr
    assert "hunter2-canary" not in result.stdout + result.stderr
