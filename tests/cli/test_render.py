"""`qm render ENV`: the effective environment, as YAML or JSON; secret references stay references."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from quantmatrix.repo.loader import load

ROOT = Path(__file__).resolve().parents[2]


def test_render_live_as_yaml(run_qm) -> None:
    result = run_qm("render", "live", ROOT)

    assert result.code == 0, result.output
    header, _, body = result.out.partition("---\n")
    assert header.startswith("# effective environment 'live' from ")
    assert "environments/live.yaml over environments/_base.yaml" in header
    rendered = YAML(typ="safe", pure=True).load(body)
    spec = rendered["spec"]
    assert spec["mode"] == "live"
    assert spec["risk"]["max_daily_loss"] == 1500  # from live.yaml
    assert spec["monitoring"]["intensity"] == "heightened"
    assert spec["alerts"]["enabled"] is True  # from _base.yaml
    assert list(rendered) == ["apiVersion", "kind", "metadata", "spec"]


def test_render_live_as_json_equals_the_effective_document(run_qm) -> None:
    result = run_qm("render", "live", ROOT, "--format", "json")
    assert result.code == 0
    assert json.loads(result.out) == load(ROOT).effective["live"].data


def test_secret_references_stay_references(run_qm, monkeypatch) -> None:
    # even with the secrets' environment variables set, render never resolves them
    monkeypatch.setenv("QM_LIVE_REDIS_URL", "redis://:hunter2@live-redis:6379/0")
    for fmt in ("yaml", "json"):
        result = run_qm("render", "live", ROOT, "--format", fmt)
        assert "hunter2" not in result.out
        assert "QM_LIVE_BROKER_SECRET" in result.out
    spec = json.loads(run_qm("render", "live", ROOT, "--format", "json").out)["spec"]
    assert spec["execution"]["credentials"] == {
        "key_id": {"secret": "QM_LIVE_BROKER_KEY_ID"},
        "secret_key": {"secret": "QM_LIVE_BROKER_SECRET"},
    }
    assert spec["redis"]["url"] == {"secret": "QM_LIVE_REDIS_URL"}


def test_render_every_sample_environment(run_qm) -> None:
    for name in ("local", "paper", "live", "backtest"):
        result = run_qm("render", name, ROOT, "--format", "json")
        assert result.code == 0
        assert json.loads(result.out)["spec"]["mode"] == name


def test_render_an_unknown_environment(run_qm) -> None:
    result = run_qm("render", "staging", ROOT)
    assert result.code == 2
    assert "no environment 'staging' (have: backtest, live, local, paper)" in result.err


def test_render_refuses_an_invalid_repository(sample_repo: Path, run_qm) -> None:
    paper = sample_repo / "environments/paper.yaml"
    paper.write_text(paper.read_text().replace("  mode: paper\n", ""))
    result = run_qm("render", "live", sample_repo)
    assert result.code == 2
    assert "environments/paper.yaml:" in result.err and "spec.mode: required field is missing" in result.err
    assert result.out == ""


def test_render_shows_a_removed_default_as_absent(sample_repo: Path, run_qm) -> None:
    local = sample_repo / "environments/local.yaml"
    local.write_text(
        local.read_text().replace(
            "  alerts:\n    enabled: false\n", "  alerts:\n    enabled: false\n    channels: null\n"
        )
    )
    spec = json.loads(run_qm("render", "local", sample_repo, "--format", "json").out)["spec"]
    assert spec["alerts"] == {"enabled": False}
