"""`qm validate` on valid input: exit 0 and a one-line summary (or JSON)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_sample_repository_is_valid(run_qm) -> None:
    result = run_qm("validate", ROOT)
    assert result.code == 0, result.output
    assert result.out == f"valid: 4 environments (backtest, live, local, paper), 3 releases, 14 secrets in {ROOT}\n"
    assert result.err == ""


def test_json_summary(run_qm) -> None:
    result = run_qm("validate", ROOT, "--format", "json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "valid": True,
        "source": str(ROOT),
        "environments": ["backtest", "live", "local", "paper"],
        "releases": ["2026.10.0", "2026.11.0", "2026.11.1"],
        "secrets": 14,
    }


def test_path_defaults_to_the_current_directory(run_qm, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run_qm("validate")
    assert result.code == 0
    assert result.out.endswith("14 secrets in .\n")


def test_a_path_to_a_file_is_a_usage_error(run_qm) -> None:
    result = run_qm("validate", ROOT / "environments/live.yaml")
    assert result.code == 2
    assert "is a file" in result.err
