"""The deployment record of guide §16 as the apply fills it: the changes from the desired-state
diff, the monitoring window of §14, and both stored through the store's functions on SQLite and
PostgreSQL (the new control revision c0002 included, over records written before it)."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from quantmatrix.model.common import Mode
from quantmatrix.reconcile.record import MAX_CHANGE_TEXT, changes_between, monitoring_for, monitoring_window
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.deployments import finish_deployment, get_deployment, start_deployment
from quantmatrix.runtime.store.schema import control_revision, downgrade_control_schema, upgrade_control_schema
from quantmatrix.usecases.promote import promote

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: the shared helper
from fresh_store import url_for  # noqa: E402

TOKEN = "ghp_Q8vR2mXk4LpT7nWc9ZsB3yHd6FjA1eUo5iKq"  # the shape of a GitHub token: must never be stored


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path):
    yield from url_for(request.param, tmp_path, request)


@pytest.fixture
def two_states(sample_repo: Path, tmp_path: Path):
    """(old, new): paper on 2026.11.0 as deployed before, then on 2026.11.1 with a raised
    daily loss limit, one more blocked symbol, and a pasted token in a strategy's params."""
    old_root = tmp_path / "old"
    shutil.copytree(sample_repo, old_root)
    promote(old_root, "2026.11.0", "paper")
    paper = sample_repo / "environments" / "paper.yaml"
    body = paper.read_text()
    params = "params: {lookback_minutes: 30, breakout_threshold: 0.015}"
    assert "max_daily_loss: 5000" in body and "blocked_symbols: [GME, AMC]" in body and params in body
    body = body.replace("max_daily_loss: 5000", "max_daily_loss: 7500").replace("[GME, AMC]", "[GME, AMC, BBBY]")
    body = body.replace(
        params, f"params: {{lookback_minutes: 30, breakout_threshold: 0.015, webhook_token: {TOKEN}}}", 1
    )
    paper.write_text(body)
    return load(old_root), load(sample_repo)


def test_changes_are_sorted_into_config_migrations_and_strategies(two_states) -> None:
    old, new = two_states
    changes = changes_between(old, new, "paper")
    config = "\n".join(changes.config)
    assert config.startswith("release: 2026.11.0 → 2026.11.1\n")
    assert "Risk limits max_daily_loss: 5,000 → 7,500 (+50.0%, increases risk)" in config
    assert "Blocked symbols added: — → BBBY" in config
    assert any(line.startswith("Strategies momentum_breakout version: 1.4.0 → 1.4.2") for line in changes.strategies)
    assert changes.migrations == ()  # both releases pin 0002_fills_exec_time_idx
    assert changes.as_record() == {
        "config_changes": changes.config,
        "migration_changes": (),
        "strategy_changes": changes.strategies,
    }


def test_a_secret_pasted_in_the_desired_state_never_reaches_the_changes(two_states) -> None:
    changes = changes_between(*two_states, "paper")
    every = "\n".join((*changes.config, *changes.migrations, *changes.strategies))
    assert TOKEN not in every and TOKEN[:12] not in every
    assert "<redacted>" in every


def test_a_first_deployment_lists_what_it_sets_up_with_secret_names_only(sample_repo: Path) -> None:
    state = load(sample_repo)
    changes = changes_between(None, state, "live")
    assert "Release migration revision: — → 0002_fills_exec_time_idx" in changes.migrations
    assert any("{secret: QM_LIVE_" in line for line in changes.config)
    assert len(changes.strategies) >= 1
    assert all("\n" not in line and len(line) <= MAX_CHANGE_TEXT for line in (*changes.config, *changes.strategies))


def test_no_change_is_an_empty_record(sample_repo: Path) -> None:
    state = load(sample_repo)
    assert changes_between(state, state, "paper").empty


def test_a_migration_change_is_a_migration_change(sample_repo: Path, tmp_path: Path) -> None:
    old_root = tmp_path / "old"
    shutil.copytree(sample_repo, old_root)
    for version in ("2026.11.0", "2026.11.1"):  # before: both pinned the baseline
        release = old_root / "releases" / f"{version}.yaml"
        release.write_text(release.read_text().replace("revision: 0002_fills_exec_time_idx", "revision: 0001_baseline"))
    changes = changes_between(load(old_root), load(sample_repo), "paper")
    assert changes.migrations == ("Release migration revision: 0001_baseline → 0002_fills_exec_time_idx",)


# --- monitoring window (guide §14), on the XNYS calendar --------------------------------------

THURSDAY_NOON_ET = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)  # in session (09:30-16:00 EST)
FRIDAY_EVENING_ET = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # after the close


def test_local_is_normal_validation_for_its_hours() -> None:
    window = monitoring_window(Mode.local, THURSDAY_NOON_ET, window_hours=3)
    assert (window.intensity, window.ends_at) == ("normal", THURSDAY_NOON_ET + timedelta(hours=3))
    assert window.active(THURSDAY_NOON_ET + timedelta(hours=2)) and not window.active(window.ends_at)


def test_paper_is_watched_through_the_session_it_lands_in() -> None:
    window = monitoring_window(Mode.paper, THURSDAY_NOON_ET, window_hours=1)
    assert window.intensity == "active"
    assert window.ends_at == datetime(2026, 12, 3, 21, 0, tzinfo=UTC)  # Thursday's 16:00 EST close
    assert "session" in window.basis
    after_close = monitoring_window(Mode.paper, FRIDAY_EVENING_ET, window_hours=1)
    assert after_close.ends_at == datetime(2026, 12, 7, 21, 0, tzinfo=UTC)  # Monday's session
    long_hours = monitoring_window(Mode.paper, THURSDAY_NOON_ET, window_hours=12)
    assert long_hours.ends_at == THURSDAY_NOON_ET + timedelta(hours=12)  # the longer of the two


def test_live_is_heightened_through_the_first_full_session() -> None:
    midday = monitoring_window(Mode.live, THURSDAY_NOON_ET, window_hours=1)
    assert midday.intensity == "heightened"
    assert midday.ends_at == datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # Friday: Thursday's was not full
    assert "first full" in midday.basis
    christmas_eve = monitoring_window(Mode.live, datetime(2026, 12, 24, 22, 0, tzinfo=UTC), window_hours=1)
    assert christmas_eve.ends_at == datetime(2026, 12, 28, 21, 0, tzinfo=UTC)  # not Christmas, not the weekend


def test_an_environment_may_watch_harder_than_its_mode_never_softer() -> None:
    assert monitoring_window(Mode.local, THURSDAY_NOON_ET, intensity="heightened").intensity == "heightened"
    assert monitoring_window(Mode.live, THURSDAY_NOON_ET, intensity="normal").intensity == "heightened"


def test_an_environment_brings_its_mode_settings_and_calendar(sample_repo: Path) -> None:
    state = load(sample_repo)
    live = monitoring_for(state.environments["live"], THURSDAY_NOON_ET)  # heightened, 24 h, XNYS
    assert (live.intensity, live.ends_at) == (
        "heightened",
        datetime(2026, 12, 4, 21, 0, tzinfo=UTC),
    )  # Friday's close, after 24 h
    paper = monitoring_for(state.environments["paper"], FRIDAY_EVENING_ET)  # active, 8 h: Monday's session is later
    assert (paper.intensity, paper.ends_at) == ("active", datetime(2026, 12, 7, 21, 0, tzinfo=UTC))
    assert monitoring_for(state.environments["local"], THURSDAY_NOON_ET).intensity == "normal"


def test_the_clock_must_be_aware_and_the_window_positive() -> None:
    with pytest.raises(ValueError, match="aware"):
        monitoring_window(Mode.paper, datetime(2026, 12, 3, 12, 0))
    with pytest.raises(ValueError):
        monitoring_window(Mode.paper, THURSDAY_NOON_ET, window_hours=0)


# --- stored ------------------------------------------------------------------------------------


def test_the_record_keeps_changes_mode_and_monitoring_window(url: str, two_states) -> None:
    store = open_store(url)
    changes = changes_between(*two_states, "paper")
    window = monitoring_window(Mode.paper, THURSDAY_NOON_ET + timedelta(minutes=7))
    dep = start_deployment(
        store,
        "paper",
        "2026.11.1",
        previous_release="2026.11.0",
        mode=Mode.paper,
        now=THURSDAY_NOON_ET,
        **changes.as_record(),
    )
    finish_deployment(
        store,
        dep,
        "succeeded",
        monitoring_until=window.ends_at,
        monitoring_intensity=window.intensity,
        monitoring_basis=window.basis,
        now=window.starts_at,
    )
    record = get_deployment(store, dep)
    assert record is not None
    assert (record.mode, record.monitoring_intensity, record.monitoring_until) == ("paper", "active", window.ends_at)
    assert record.monitoring_basis == window.basis
    assert record.config_changes == changes.config and record.strategy_changes == changes.strategies
    store.close()


def test_c0002_upgrades_a_store_holding_records_written_before_it(url: str) -> None:
    store = open_store(url)
    downgrade_control_schema(store, "c0001_control_tables")
    assert control_revision(store) == "c0001_control_tables"
    schema = "qm_control." if store.dialect == "postgresql" else ""
    with store.begin() as conn:  # a record as the first revision wrote it: no mode, no intensity
        conn.execute(
            text(
                f"INSERT INTO {schema}qm_deployments (id, environment, release, status, started_at, config_changes,"
                " migration_changes, strategy_changes, rollback_used, summary)"
                " VALUES ('dep-paper-2026.11.0-1', 'paper', '2026.11.0', 'succeeded', :at, '[]', '[]', '[]', false, 'old')"
            ),
            {"at": THURSDAY_NOON_ET},
        )
    upgrade_control_schema(store)
    record = get_deployment(store, "dep-paper-2026.11.0-1")
    assert record is not None and record.summary == "old"
    assert (record.mode, record.monitoring_intensity, record.monitoring_basis) == (None, None, None)
    assert record.changes_basis is None  # c0003: nothing said about it before
    store.close()
