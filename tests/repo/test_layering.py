"""Layering: an environment over `_base` — maps merge, lists replace, null removes — and
every effective value located in the file that wrote it."""

from __future__ import annotations

from pathlib import Path

from quantmatrix.repo.layering import layer, merge
from quantmatrix.repo.loader import load
from quantmatrix.repo.yamlfile import parse_yaml

BASE = b"""\
apiVersion: quantmatrix.io/v1
kind: EnvironmentBase
metadata:
  name: _base
spec:
  risk:
    currency: USD
    max_daily_loss: 250
  alerts:
    enabled: true
    channels: ["#qm-ops", "#qm-all"]
  scanner:
    params: {min_price: 5}
"""

ENV = b"""\
apiVersion: quantmatrix.io/v1
kind: Environment
metadata:
  name: paper
  extends: _base
spec:
  risk:
    max_daily_loss: 5000
  alerts:
    channels: ["#qm-paper"]
  scanner: null
"""


def test_maps_merge_lists_replace_null_removes() -> None:
    base = {"risk": {"currency": "USD", "max_daily_loss": 250}, "channels": ["a", "b"], "scanner": {"x": 1}, "keep": 1}
    override = {"risk": {"max_daily_loss": 5000}, "channels": ["c"], "scanner": None}
    assert merge(base, override) == {"risk": {"max_daily_loss": 5000, "currency": "USD"}, "channels": ["c"], "keep": 1}


def test_merge_does_not_modify_its_inputs() -> None:
    base = {"risk": {"a": 1}}
    override = {"risk": {"b": 2}}
    merge(base, override)
    assert base == {"risk": {"a": 1}} and override == {"risk": {"b": 2}}


def test_a_scalar_replaces_a_map_and_a_map_replaces_a_scalar() -> None:
    assert merge({"a": {"b": 1}}, {"a": 5}) == {"a": 5}
    assert merge({"a": 5}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_effective_environment_and_where_each_value_comes_from() -> None:
    base, env = parse_yaml("environments/_base.yaml", BASE), parse_yaml("environments/paper.yaml", ENV)
    layered = layer(env, [base])

    assert layered.data["spec"] == {
        "risk": {"max_daily_loss": 5000, "currency": "USD"},
        "alerts": {"channels": ["#qm-paper"], "enabled": True},
    }
    assert layered.locate(("spec", "risk", "max_daily_loss")) == ("environments/paper.yaml", 8, 5)
    assert layered.locate(("spec", "risk", "currency")) == ("environments/_base.yaml", 7, 5)
    assert layered.locate(("spec", "alerts", "enabled")) == ("environments/_base.yaml", 10, 5)
    # the list was replaced: its items belong to the environment, not to the base
    assert layered.locate(("spec", "alerts", "channels", 0)) == ("environments/paper.yaml", 10, 16)


def test_a_value_error_in_the_base_points_at_the_base_file(sample_repo: Path, run_qm, line_in) -> None:
    base = sample_repo / "environments/_base.yaml"
    base.write_text(base.read_text().replace('    channels: ["#qm-ops"]\n', '    channels: "#qm-ops"\n'))
    # local and backtest inherit it and fail at the same place: reported once
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    line = line_in(base, 'channels: "#qm-ops"')
    assert result.err.splitlines() == [
        f"environments/_base.yaml:{line}:5: spec.alerts.channels: must be a list",
        "1 problem",
    ]


def test_an_environment_value_overrides_a_broken_base_value(sample_repo: Path) -> None:
    base = sample_repo / "environments/_base.yaml"
    base.write_text(base.read_text().replace("    intensity: normal\n", "    intensity: relaxed\n"))
    for name in ("local", "backtest"):
        env = sample_repo / f"environments/{name}.yaml"
        env.write_text(env.read_text() + "  monitoring:\n    intensity: normal\n    window_hours: 4\n")
    paper = sample_repo / "environments/paper.yaml"
    assert "intensity: active" in paper.read_text()
    state = load(sample_repo)  # every environment now sets its own intensity
    assert state.environments["local"].spec.monitoring.intensity == "normal"


def test_null_in_an_environment_removes_a_base_default(sample_repo: Path) -> None:
    local = sample_repo / "environments/local.yaml"
    local.write_text(
        local.read_text().replace(
            "  alerts:\n    enabled: false\n", "  alerts:\n    enabled: false\n    channels: null\n"
        )
    )
    state = load(sample_repo)
    assert "channels" not in state.effective["local"].data["spec"]["alerts"]
    assert state.environments["local"].spec.alerts.channels == []
    assert state.effective["backtest"].data["spec"]["alerts"]["channels"] == ["#qm-ops"]


def test_the_sample_base_favours_non_live() -> None:
    state = load(Path(__file__).resolve().parents[2])
    spec = state.base_docs["_base"].data["spec"]
    assert spec["execution"] == {"broker": "dry-run", "account_type": "dry_run", "routes_live_orders": False}
    assert spec["market_data"]["feed"] == "demo"
    assert "mode" not in spec and "release" not in spec
