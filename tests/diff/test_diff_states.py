"""`diff_states`: every kind of change shows up in its section with the right old and new
values, on the effective (layered) environments, between real git commits."""

from __future__ import annotations

import json

import pytest

from quantmatrix.diff import change_document
from quantmatrix.diff.refs import compare


def feature(repo, *edits):  # type: ignore[no-untyped-def]
    """Branch `feature` off main with `edits` (file, old, new) committed; the diff main → feature."""
    repo.branch("feature")
    for file, old, new in edits:
        repo.edit(file, old, new)
    repo.commit("feature")
    return compare(repo.root, "main", "feature").diff


def env(diff, name):  # type: ignore[no-untyped-def]
    return next(e for e in diff.environments if e.name == name)


LIVE = "environments/live.yaml"


def test_no_change_is_empty_and_lists_every_environment_live_first(repo):
    diff = compare(repo.root, "main").diff
    assert diff.empty and diff.environments == () and diff.releases == ()
    assert diff.unchanged_environments == ("live", "paper", "local", "backtest")
    assert [p.environment for p in diff.pins] == ["live", "paper", "local", "backtest"]


def test_risk_limits_show_old_new_relative_change_and_direction(repo):
    diff = feature(
        repo,
        (LIVE, "max_daily_loss: 1500", "max_daily_loss: 2000"),
        (LIVE, "max_orders_per_minute: 20", "max_orders_per_minute: 10"),
    )
    risk = {c.key: c for c in env(diff, "live").risk}
    assert (risk["max_daily_loss"].old, risk["max_daily_loss"].new) == (1500, 2000)
    assert risk["max_daily_loss"].relative == pytest.approx(1 / 3)
    assert risk["max_daily_loss"].increases_risk
    assert (risk["max_orders_per_minute"].old, risk["max_orders_per_minute"].new) == (20, 10)
    assert not risk["max_orders_per_minute"].increases_risk
    assert risk["max_daily_loss"].location == f"{LIVE}:{repo.line_of(LIVE, 'max_daily_loss')}"
    assert env(diff, "live").risk_increases == ("risk.max_daily_loss",)


def test_capital_increase_is_risky(repo):
    diff = feature(repo, (LIVE, "limit: 50000", "limit: 75000"))
    capital = env(diff, "live").capital
    assert (capital.old, capital.new, capital.increases_risk) == (50000, 75000, True)
    assert capital.path == ("environments", "live", "spec", "capital", "limit")


def test_release_pin_brings_component_versions_and_analytics(repo):
    diff = feature(
        repo,
        (LIVE, "release: 2026.11.0", "release: 2026.11.1"),
        (LIVE, "version: 1.4.0", "version: 1.4.2"),
        (LIVE, "logic_version: 1.3.0", "logic_version: 1.3.1"),
    )
    live = env(diff, "live")
    assert (live.release.old, live.release.new) == ("2026.11.0", "2026.11.1")
    assert {c.key: (c.old, c.new) for c in live.components} == {
        "api": ("3.3.0", "3.3.1"),
        "workers": ("3.3.0", "3.3.2"),
    }
    assert (live.analytics_logic_version.old, live.analytics_logic_version.new) == ("1.3.0", "1.3.1")
    assert live.migration_revision is None  # both releases are at 0002
    (strategy,) = live.strategies
    assert (strategy.name, strategy.status, strategy.version.old, strategy.version.new) == (
        "momentum_breakout",
        "changed",
        "1.4.0",
        "1.4.2",
    )
    pins = next(p for p in diff.pins if p.environment == "live")
    assert pins.release == ("2026.11.0", "2026.11.1")


def test_migration_revision_of_the_pinned_release(repo):
    diff = feature(
        repo, ("releases/2026.11.0.yaml", "revision: 0002_fills_exec_time_idx", "revision: 0003_orders_client_id")
    )
    live = env(diff, "live")
    assert (live.migration_revision.old, live.migration_revision.new) == (
        "0002_fills_exec_time_idx",
        "0003_orders_client_id",
    )
    (release,) = diff.releases
    assert release.name == "2026.11.0" and release.status == "changed" and release.migrations_added


def test_strategies_added_removed_and_changed(repo):
    diff = feature(
        repo,
        (LIVE, "      capital: 30000\n      enabled: true", "      capital: 35000\n      enabled: true"),
        (LIVE, "breakout_threshold: 0.02", "breakout_threshold: 0.03"),
        (
            LIVE,
            "    - name: mean_reversion\n      version: 2.0.1\n      capital: 20000\n      enabled: true\n",
            "    - name: pairs_stat_arb\n      version: 0.9.0\n      capital: 5000\n      enabled: true\n",
        ),
    )
    strategies = {s.name: s for s in env(diff, "live").strategies}
    momentum = strategies["momentum_breakout"]
    assert (momentum.capital.old, momentum.capital.new, momentum.capital.increases_risk) == (30000, 35000, True)
    assert [(c.path[-1], c.old, c.new) for c in momentum.params] == [("breakout_threshold", 0.02, 0.03)]
    added, removed = strategies["pairs_stat_arb"], strategies["mean_reversion"]
    assert added.status == "added" and added.version.new == "0.9.0" and added.newly_enabled and added.increases_risk
    assert removed.status == "removed" and removed.version.old == "2.0.1" and not removed.increases_risk


def test_strategy_enabled_toggled(repo):
    diff = feature(
        repo,
        (
            "environments/paper.yaml",
            "      capital: 60000\n      enabled: true\n      params: {pairs",
            "      capital: 60000\n      enabled: false\n      params: {pairs",
        ),
    )
    (strategy,) = env(diff, "paper").strategies
    assert (strategy.name, strategy.enabled.old, strategy.enabled.new) == ("pairs_stat_arb", True, False)
    assert not strategy.newly_enabled and not strategy.increases_risk


def test_blocked_symbols_added_and_removed(repo):
    diff = feature(repo, (LIVE, "[GME, AMC, BBBYQ, MULN, FFIE]", "[AMC, BBBYQ, MULN, FFIE, NKLA]"))
    live = env(diff, "live")
    assert live.blocked_added == ("NKLA",) and live.blocked_removed == ("GME",)
    assert "blocked symbol GME removed" in live.risk_increases


def test_credentials_show_secret_names_and_connections_their_fields(repo):
    diff = feature(
        repo,
        (LIVE, "api_key: {secret: QM_LIVE_MARKET_DATA_KEY}", "api_key: {secret: QM_LIVE_BROKER_KEY_ID}"),
        (LIVE, 'key_prefix: "qm:live:"', 'key_prefix: "qm:live2:"'),
        (LIVE, "endpoint: https://api.alpaca.markets", "endpoint: https://broker.example.com"),
        (LIVE, "base_url: https://live.qm.internal/api", "base_url: https://live2.qm.internal/api"),
        (LIVE, "feed: live", "feed: delayed"),
    )
    live = env(diff, "live")
    assert [(c.path[3:], c.old, c.new) for c in live.credentials] == [
        (
            ("market_data", "credentials", "api_key"),
            {"secret": "QM_LIVE_MARKET_DATA_KEY"},
            {"secret": "QM_LIVE_BROKER_KEY_ID"},
        )
    ]
    assert {c.path[3:]: (c.old, c.new) for c in live.connections} == {
        ("redis", "key_prefix"): ("qm:live:", "qm:live2:"),
        ("execution", "endpoint"): ("https://api.alpaca.markets", "https://broker.example.com"),
        ("api", "base_url"): ("https://live.qm.internal/api", "https://live2.qm.internal/api"),
        ("market_data", "feed"): ("live", "delayed"),
    }


def test_mode_change_toward_live_increases_risk(repo):
    diff = feature(repo, ("environments/local.yaml", "mode: local", "mode: paper"))
    local = env(diff, "local")
    assert (local.mode_change.old, local.mode_change.new, local.mode_change.increases_risk) == ("local", "paper", True)


def test_other_fields_and_base_layer_changes_on_the_effective_environments(repo):
    diff = feature(
        repo,
        (LIVE, "interval_seconds: 30\n  analytics", "interval_seconds: 20\n  analytics"),
        ("environments/_base.yaml", 'channels: ["#qm-ops"]', 'channels: ["#qm-ops", "#qm-dev"]'),
    )
    assert [(c.path[3:], c.old, c.new) for c in env(diff, "live").other] == [(("scanner", "interval_seconds"), 30, 20)]
    # local and backtest inherit alerts.channels from _base; live and paper set their own
    for name in ("local", "backtest"):
        (change,) = env(diff, name).other
        assert change.path[3:] == ("alerts", "channels") and change.new == ["#qm-ops", "#qm-dev"]
        assert change.location.startswith("environments/_base.yaml:")
    assert "paper" in diff.unchanged_environments


def test_environment_added_and_removed(repo):
    repo.branch("feature")
    repo.write("environments/paper2.yaml", repo.read("environments/paper.yaml").replace("name: paper", "name: paper2"))
    (repo.root / "environments/backtest.yaml").unlink()
    repo.commit("add paper2, drop backtest")
    diff = compare(repo.root, "main", "feature").diff
    added, removed = env(diff, "paper2"), env(diff, "backtest")
    assert added.status == "added" and added.release.new == "2026.11.1" and added.release.old is None
    assert removed.status == "removed" and removed.release.old == "2026.11.1" and not removed.risk_increases
    assert [e.name for e in diff.environments] == ["paper2", "backtest"]  # paper before backtest


def test_release_added_is_compared_with_the_release_it_follows(repo):
    repo.branch("feature")
    text = (
        repo.read("releases/2026.11.1.yaml")
        .replace("name: 2026.11.1", "name: 2026.12.0")
        .replace("previous: 2026.11.0", "previous: 2026.11.1")
    )
    repo.write("releases/2026.12.0.yaml", text.replace("api: 3.3.1", "api: 3.4.0"))
    repo.commit("propose 2026.12.0")
    (release,) = compare(repo.root, "main", "feature").diff.releases
    assert (release.name, release.status, release.compared_to, release.migrations_added) == (
        "2026.12.0",
        "added",
        "2026.11.1",
        False,
    )
    changes = {c.path[2:]: (c.old, c.new) for c in release.changes}
    assert changes[("spec", "components", "api")] == ("3.3.1", "3.4.0")
    assert changes[("spec", "rollback", "previous")] == (None, "2026.11.1")


def test_release_fields_changed(repo):
    diff = feature(
        repo,
        (
            "releases/2026.11.1.yaml",
            "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-16}",
            "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-16}\n    risk_changes_reviewed: {by: omar.risk, at: 2026-11-20}",
        ),
        ("releases/2026.11.1.yaml", "    migrations: []", "    migrations: [0003 adds orders.client_id]"),
    )
    (release,) = diff.releases
    changes = {c.path[2:]: (c.old, c.new) for c in release.changes}
    assert changes[("spec", "checklist", "risk_changes_reviewed")] == (None, {"by": "omar.risk", "at": "2026-11-20"})
    assert changes[("spec", "changes", "migrations")] == ([], ["0003 adds orders.client_id"])
    assert release.migrations_added  # changes.migrations gained an entry


def test_work_tree_is_the_default_head_and_is_left_untouched(repo):
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: 1600")
    before = repo.git("status", "--porcelain")
    diff = compare(repo.root, "main").diff
    assert env(diff, "live").risk[0].new == 1600
    assert repo.git("status", "--porcelain") == before
    assert compare(repo.root, "main", "main").diff.empty


def test_change_document_is_json_with_paths_into_the_head_state(repo):
    repo.branch("feature")
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: 2000")
    repo.commit("raise")
    comparison = compare(repo.root, "main", "feature")
    document = json.loads(json.dumps(change_document(comparison.diff)))
    delta = document["environments"]["live"]["risk"]["max_daily_loss"]
    assert delta == {
        "path": ["environments", "live", "spec", "risk", "max_daily_loss"],
        "old": 1500,
        "new": 2000,
        "increases_risk": True,
        "relative": pytest.approx(1 / 3),
    }
    file, line, _ = comparison.head.locate(tuple(delta["path"]))
    assert (file, line) == (LIVE, repo.line_of(LIVE, "max_daily_loss"))
    assert document["environments"]["live"]["base"]["capital"]["limit"] == 50000
    assert set(document) == {"base", "head", "environments", "releases", "secrets", "policies"}
