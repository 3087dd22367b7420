"""The store's use cases on SQLite and PostgreSQL: deployments (guide §16), journal, incidents,
check results, drift, trading-state history, audit, applied configuration; no secret stored."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.exc import IntegrityError

from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.deployments import (
    applied_config_version,
    deployment_history,
    finish_deployment,
    get_deployment,
    last_deployment,
    record_config_applied,
    start_deployment,
)
from quantmatrix.runtime.store.events import (
    append_audit,
    audit_log,
    drift_events,
    list_check_results,
    list_incidents,
    record_check_results,
    record_drift,
    record_incident,
)
from quantmatrix.runtime.store.journal import journal_fail, journal_finish, journal_start, journal_steps

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: the shared helper
from check_shape import CheckShape as Result  # noqa: E402

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url: str):
    opened = open_store(store_url)
    yield opened
    opened.close()


def test_a_deployment_record_has_every_field_of_guide_16(store) -> None:
    dep = start_deployment(
        store,
        "paper",
        "2026.11.1",
        previous_release="2026.11.0",
        operator="dana.ops",
        engineer="li.eng",
        commit="a" * 40,
        config_version="cfg1",
        config_changes=["scanner 60s -> 30s"],
        migration_changes=[],
        strategy_changes=["momentum 1.4.0 -> 1.4.2"],
        now=T0,
    )
    assert dep == "dep-paper-2026.11.1-1"
    record_check_results(
        store,
        "paper",
        [
            Result("health.api", "health", True, 0.01, "ok", "healthy"),
            Result("safety.mode_displayed", "safety", False, 0.02, "UI shows LIVE"),
        ],
        dep,
        now=T0,
    )
    record_incident(
        store,
        "paper",
        "safety_check_failed",
        "UI banner shows the wrong mode",
        deployment_id=dep,
        recorded_by="qm",
        now=T0,
    )
    finish_deployment(
        store,
        dep,
        "rolled_back",
        summary="safety check failed; rolled back to 2026.11.0",
        rollback_used=True,
        monitoring_until=T0 + timedelta(hours=8),
        now=T0 + timedelta(minutes=3),
    )
    record = get_deployment(store, dep)
    assert record is not None
    assert (record.release, record.previous_release, record.operator, record.engineer, record.commit) == (
        "2026.11.1",
        "2026.11.0",
        "dana.ops",
        "li.eng",
        "a" * 40,
    )
    assert (record.started_at, record.finished_at, record.monitoring_until) == (
        T0,
        T0 + timedelta(minutes=3),
        T0 + timedelta(hours=8),
    )
    assert (
        record.config_changes == ("scanner 60s -> 30s",)
        and record.migration_changes == ()
        and record.strategy_changes == ("momentum 1.4.0 -> 1.4.2",)
    )
    assert record.status == "rolled_back" and record.rollback_used
    assert [(c.name, c.passed, c.status) for c in record.validation] == [
        ("health.api", True, "healthy"),
        ("safety.mode_displayed", False, None),
    ]
    assert [i.summary for i in record.incidents] == ["UI banner shows the wrong mode"]
    assert start_deployment(store, "paper", "2026.11.1", now=T0 + timedelta(hours=1)) == "dep-paper-2026.11.1-2"


def test_history_is_unlimited_newest_first_and_filtered_by_environment(store) -> None:
    for i in range(15):  # more than Argo CD (10) or Flux (5) keep
        dep = start_deployment(store, "local", f"2026.11.{i}", now=T0 + timedelta(minutes=i))
        finish_deployment(store, dep, "succeeded", now=T0 + timedelta(minutes=i, seconds=30))
    start_deployment(store, "paper", "2026.11.1", now=T0 + timedelta(hours=2))
    local = deployment_history(store, "local")
    assert len(local) == 15 and [r.release for r in local[:2]] == ["2026.11.14", "2026.11.13"]
    assert len(deployment_history(store)) == 16
    assert len(deployment_history(store, "local", limit=3)) == 3
    assert last_deployment(store, "local").release == "2026.11.14"
    assert last_deployment(store, "paper").status == "running"
    assert last_deployment(store, "paper", status="succeeded") is None
    assert last_deployment(store, "live") is None


def test_finishing_needs_a_final_status_and_an_existing_deployment(store) -> None:
    dep = start_deployment(store, "local", "2026.11.1")
    with pytest.raises(ValueError):
        finish_deployment(store, dep, "running")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        finish_deployment(store, "dep-nope", "failed")


def test_the_journal_is_written_before_and_after_each_step(store) -> None:
    dep = start_deployment(store, "paper", "2026.11.1", now=T0)
    journal_start(store, dep, "configuration", now=T0)
    journal_finish(store, dep, "configuration", now=T0 + timedelta(seconds=2))
    journal_start(store, dep, "migrations", detail="0002_fills_exec_time_idx", now=T0 + timedelta(seconds=2))
    # a crash here leaves exactly the in-flight step marked started
    steps = journal_steps(store, dep)
    assert [(s.seq, s.step, s.state) for s in steps] == [(1, "configuration", "finished"), (2, "migrations", "started")]
    assert steps[0].duration_seconds == 2.0 and steps[1].finished_at is None
    journal_fail(store, dep, "migrations", detail="lock timeout", now=T0 + timedelta(seconds=5))
    journal_start(store, dep, "migrations", now=T0 + timedelta(seconds=9))  # a resumed run retries it
    journal_finish(store, dep, "migrations", now=T0 + timedelta(seconds=10))
    assert [(s.step, s.state, s.duration_seconds) for s in journal_steps(store, dep)] == [
        ("configuration", "finished", 2.0),
        ("migrations", "finished", 1.0),
    ]
    with pytest.raises(ValueError, match="already finished"):
        journal_start(store, dep, "migrations")  # a finished step never runs twice
    with pytest.raises(ValueError, match="not in progress"):
        journal_finish(store, dep, "backend")
    with pytest.raises(IntegrityError):
        journal_start(store, "dep-unknown", "configuration")  # foreign key to the deployment


def test_events_are_recorded_and_queryable(store) -> None:
    record_drift(store, "paper", "components.api.version", "3.3.1", "3.3.0", now=T0)
    assert drift_events(store, "paper") == [
        {"at": T0, "subject": "components.api.version", "desired": "3.3.1", "observed": "3.3.0", "detail": ""}
    ]
    assert drift_events(store, "live") == []
    record_incident(store, "live", "break_glass", "deploy outside the window", severity="warning", now=T0)
    assert [(i.kind, i.severity, i.deployment_id) for i in list_incidents(store, "live")] == [
        ("break_glass", "warning", None)
    ]
    from enum import StrEnum

    class Category(StrEnum):  # a checks registry may type its categories as an enum
        smoke = "smoke"

    assert record_check_results(store, "local", [Result("smoke.radar", Category.smoke, True, 0.1, "ok")]) == 1  # type: ignore[arg-type]
    assert [(c.name, c.category) for c in list_check_results(store, "local")] == [("smoke.radar", "smoke")]
    append_audit(store, "dana.ops", "halt", environment="live", detail={"reason": "broker unstable"}, now=T0)
    append_audit(store, "li.eng", "apply", environment="paper", now=T0)
    (entry,) = audit_log(store, "live")
    assert (entry["actor"], entry["action"], entry["detail"], entry["at"]) == (
        "dana.ops",
        "halt",
        {"reason": "broker unstable"},
        T0,
    )
    assert "@" in entry["origin"] and "pid" in entry["origin"]  # from where: user@host pid N
    assert len(audit_log(store)) == 2


def test_applied_configuration_versions(store) -> None:
    assert applied_config_version(store, "paper") is None
    record_config_applied(store, "paper", "cfg-a", "2026.11.0", now=T0)
    dep = start_deployment(store, "paper", "2026.11.1")
    record_config_applied(
        store, "paper", "cfg-b", "2026.11.1", commit="b" * 40, deployment_id=dep, now=T0 + timedelta(days=1)
    )
    latest = applied_config_version(store, "paper")
    assert latest is not None and (latest.config_version, latest.release, latest.deployment_id, latest.applied_at) == (
        "cfg-b",
        "2026.11.1",
        dep,
        T0 + timedelta(days=1),
    )


class Sneaky:
    """An object that would reveal a secret if anything str()-ed it into a column."""

    def __str__(self) -> str:
        return "CANARY-SNEAKY"


def test_objects_are_refused_not_stringified(store) -> None:
    with pytest.raises(TypeError):
        record_incident(store, "paper", "x", Sneaky())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        append_audit(store, "qm", "apply", detail={"token": Sneaky()})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        record_check_results(store, "paper", [Result("health.api", "health", True, 0.1, Sneaky())])  # type: ignore[arg-type]
    assert "CANARY-SNEAKY" not in repr(dump_all(store))


def dump_all(store) -> list[tuple[object, ...]]:
    """Every row of every table in the store (trading and control)."""
    rows: list[tuple[object, ...]] = []
    for schema in ["qm_control", "public"] if store.dialect == "postgresql" else [None]:
        meta = MetaData()
        meta.reflect(store.engine, schema=schema)
        with store.begin() as conn:
            for table in meta.sorted_tables:
                rows.extend(tuple(r) for r in conn.execute(select(table)))
    return rows


def test_no_secret_value_reaches_any_table(store, monkeypatch) -> None:
    """A canary secret is in the environment the whole time; a full round of store writes,
    from the real sample environment, must leave it in no column."""
    from datetime import datetime as dt
    from pathlib import Path

    from quantmatrix.repo.loader import load
    from quantmatrix.runtime.control import TradingState, control_from_environment, store_control

    canary = "CANARY-qm-7f3a9c-DO-NOT-STORE"
    for name in (
        "QM_PAPER_BROKER_KEY_ID",
        "QM_PAPER_BROKER_SECRET",
        "QM_PAPER_POSTGRES_URL",
        "QM_PAPER_REDIS_URL",
        "QM_PAPER_MARKET_DATA_KEY",
    ):
        monkeypatch.setenv(name, canary)
    paper = load(Path(__file__).resolve().parents[2]).environments["paper"]
    control = store_control(store, "paper")
    control.write(
        control_from_environment(
            paper, trading=TradingState.HALTED, reason="deploying", changed_by="qm", now=dt.now(UTC)
        )
    )
    control.set_trading(TradingState.ACTIVE, "checks passed", "dana.ops")
    dep = start_deployment(
        store, "paper", "2026.11.1", operator="dana.ops", config_changes=["credentials: QM_PAPER_BROKER_SECRET rotated"]
    )
    journal_start(store, dep, "configuration")
    journal_finish(store, dep, "configuration")
    record_check_results(store, "paper", [Result("health.broker", "health", True, 0.2, "broker reachable")], dep)
    record_incident(store, "paper", "note", "secret QM_PAPER_BROKER_SECRET resolved by name", deployment_id=dep)
    record_drift(store, "paper", "postgres.url", "{secret: QM_PAPER_POSTGRES_URL}", "{secret: QM_PAPER_POSTGRES_URL}")
    append_audit(store, "dana.ops", "apply", environment="paper", detail={"secret": "QM_PAPER_BROKER_SECRET"})
    finish_deployment(store, dep, "succeeded")
    rows = dump_all(store)
    assert len(rows) > 8
    assert canary not in repr(rows)
    assert "QM_PAPER_BROKER_SECRET" in repr(rows)  # names are fine: that is how secrets are referred to


def test_the_snapshot_a_plan_reads_matches_the_records_one_by_one(store) -> None:
    """runtime.store.snapshot: the standing halt is the newest of halt/resume (one row, not the
    whole log), the journal is read only for a deployment still running, and every item is
    what the one-by-one readers return."""
    from quantmatrix.runtime.controlstate import HALT_ACTION, RESUME_ACTION
    from quantmatrix.runtime.store.snapshot import store_snapshot

    empty = store_snapshot(store, "paper")
    assert (empty.applied, empty.last, empty.finished_steps, empty.schema_revision, empty.halt) == (
        None,
        None,
        (),
        None,
        None,
    )
    for minute, action in enumerate([HALT_ACTION, RESUME_ACTION, HALT_ACTION, "operator.note"]):
        append_audit(store, f"op{minute}", action, environment="paper", detail={"reason": f"r{minute}"}, now=T0)
    append_audit(store, "other", RESUME_ACTION, environment="live", now=T0)  # another environment's resume
    record_config_applied(store, "paper", "cfg1", "2026.11.1", now=T0)
    dep = start_deployment(store, "paper", "2026.11.1", now=T0)
    journal_start(store, dep, "pause_trading", now=T0)
    journal_finish(store, dep, "pause_trading", now=T0)
    journal_start(store, dep, "deploy_api", now=T0)
    seen = store_snapshot(store, "paper")
    assert seen.halt is not None and (seen.halt["actor"], seen.halt["detail"]) == ("op2", {"reason": "r2"})
    assert seen.applied == applied_config_version(store, "paper")
    assert seen.interrupted is not None and seen.interrupted.id == dep == last_deployment(store, "paper").id
    assert seen.finished_steps == ("pause_trading",)
    finish_deployment(store, dep, "succeeded", now=T0 + timedelta(minutes=1))
    append_audit(store, "op9", RESUME_ACTION, environment="paper", now=T0)
    done = store_snapshot(store, "paper")
    assert done.halt is None and done.interrupted is None and done.finished_steps == ()
    assert done.last is not None and done.last.status == "succeeded"
    from sqlalchemy import text

    with store.begin() as conn:  # what alembic leaves: its version table, one row per head
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0002_fills_exec_time_idx')"))
    assert store_snapshot(store, "paper").schema_revision == "0002_fills_exec_time_idx"
    with store.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001_baseline')"))
    assert store_snapshot(store, "paper").schema_revision == "0001_baseline,0002_fills_exec_time_idx"
