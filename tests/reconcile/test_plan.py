"""`plan(desired, observed)` with plain data: no store, no process, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quantmatrix.reconcile.observed import (
    DeploymentView,
    Observed,
    OperatorHalt,
    RunningComponent,
    TradingView,
    nothing_running,
)
from quantmatrix.reconcile.plan import Desired, plan
from quantmatrix.reconcile.steps import ORDER
from quantmatrix.repo.loader import load
from quantmatrix.runtime.control import config_version
from quantmatrix.runtime.controlstate import TradingState

ROOT = Path(__file__).resolve().parents[2]
STATE = load(ROOT)
T0 = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def desired(name: str = "paper") -> Desired:
    environment = STATE.environments[name]
    return Desired(
        environment,
        STATE.releases[environment.spec.release],
        config_version(environment),
        ("0001_baseline", "0002_fills_exec_time_idx"),
    )


def in_sync(want: Desired, **changes: object) -> Observed:
    release = want.release.spec
    base = Observed(
        environment=want.name,
        components={
            c: RunningComponent(version=getattr(release.components, c), health="healthy")
            for c in ("api", "workers", "ui")
        },
        config_version=want.config_version,
        config_release=want.release.metadata.name,
        migration_revision=release.database.revision,
        trading=TradingView(
            state=TradingState.ACTIVE, reason="deployed", changed_by="qm", config_version=want.config_version
        ),
        last_deployment=DeploymentView(
            id="dep-paper-2026.11.1-1", status="succeeded", release=want.release.metadata.name, started_at=T0
        ),
    )
    return base.model_copy(update=changes)


def ids(steps: object) -> list[str]:
    return [step.id for step in steps]  # type: ignore[attr-defined]


def test_an_environment_in_sync_plans_no_step_at_all() -> None:
    want = desired()
    result = plan(want, in_sync(want))
    assert result.in_sync and result.steps == () and result.drift == () and result.change_count == 0


def test_a_fresh_environment_plans_every_step_in_the_guides_order() -> None:
    want = desired()
    result = plan(want, nothing_running("paper"))
    assert ids(result.steps) == list(ORDER)
    # paper stops taking new risk before anything changes: an unknown state becomes REDUCING
    pause = result.step("pause_trading")
    assert (
        pause is not None
        and pause.changes[0].before == "unknown (not trading)"
        and pause.changes[0].after == "REDUCING"
    )
    migrations = result.step("migrations")
    assert (
        migrations is not None
        and migrations.changes[0].before is None
        and migrations.changes[0].after == "0002_fills_exec_time_idx"
    )
    assert result.step("deploy.api").changes[0].after == "3.3.1"  # type: ignore[union-attr]
    assert result.change_count == 7  # pause, configuration, migrations, 3 deploys, enable


def test_only_what_differs_is_planned_and_every_step_says_from_and_to() -> None:
    want = desired()
    running = in_sync(want)
    observed = running.model_copy(
        update={"components": {**running.components, "workers": RunningComponent(version="3.3.1", health="healthy")}}
    )
    result = plan(want, observed)
    assert ids(result.steps) == [
        "readiness",
        "pause_trading",
        "deploy.workers",
        "checks",
        "reconciliation",
        "enable_trading",
        "monitoring",
    ]
    (change,) = result.step("deploy.workers").changes  # type: ignore[union-attr]
    assert (change.subject, change.before, change.after) == ("component.workers", "3.3.1", "3.3.2")
    assert [c.subject for c in result.drift] == ["component.workers"]
    assert result.previous_release == "2026.11.1"


def test_an_unhealthy_component_at_the_right_version_is_redeployed() -> None:
    want = desired()
    running = in_sync(want)
    observed = running.model_copy(
        update={"components": {**running.components, "ui": RunningComponent(version="2.8.0", health="degraded")}}
    )
    (change,) = plan(want, observed).step("deploy.ui").changes  # type: ignore[union-attr]
    assert change.before == "2.8.0 (degraded)" and change.after == "2.8.0"


def test_live_halts_rather_than_reduces_and_lists_its_preconditions() -> None:
    want = desired("live")
    running = in_sync(want, migration_revision="0001_baseline")
    result = plan(want, running)
    assert result.step("pause_trading").changes[0].after == "HALTED"  # type: ignore[union-attr]
    readiness = result.step("readiness")
    assert readiness is not None and "paper deployment" in readiness.detail and "standby" in readiness.detail


def test_a_configuration_change_alone_pauses_reconfigures_and_revalidates() -> None:
    want = desired()
    result = plan(
        want, in_sync(want, config_version="old", trading=TradingView(state=TradingState.ACTIVE, config_version="old"))
    )
    assert ids(result.steps) == [
        "readiness",
        "pause_trading",
        "configuration",
        "checks",
        "reconciliation",
        "enable_trading",
        "monitoring",
    ]
    assert result.step("configuration").changes[0].before == "old"  # type: ignore[union-attr]


def test_an_unknown_control_state_is_not_trusted() -> None:
    """Fail closed: missing or unreadable keys mean not trading; the plan rewrites and revalidates."""
    want = desired()
    result = plan(want, in_sync(want, trading=TradingView(state=None, problem="control key missing")))
    assert not result.in_sync
    assert "configuration" in ids(result.steps) and "enable_trading" in ids(result.steps)
    assert result.step("pause_trading").changes[0].before == "unknown (not trading)"  # type: ignore[union-attr]


def test_an_operator_halt_is_kept_and_trading_never_enabled() -> None:
    want = desired()
    halt = OperatorHalt(reason="broker acting up", by="ops", at=T0)
    running = in_sync(
        want, operator_halt=halt, trading=TradingView(state=TradingState.HALTED, config_version=want.config_version)
    )
    assert plan(want, running).in_sync  # halted by the operator is the desired state while the halt stands
    upgrade = running.model_copy(update={"migration_revision": "0001_baseline"})
    result = plan(want, upgrade)
    assert "enable_trading" not in ids(result.steps) and result.operator_halt == "broker acting up"
    assert result.step("pause_trading").changes == ()  # already HALTED: nothing to loosen  # type: ignore[union-attr]


def test_a_stricter_state_is_never_loosened_by_the_pause() -> None:
    want = desired()
    result = plan(
        want,
        in_sync(
            want,
            migration_revision="0001_baseline",
            trading=TradingView(state=TradingState.HALTED, config_version=want.config_version),
        ),
    )
    pause = result.step("pause_trading")
    assert pause is not None and pause.title == "Pause trading (HALTED)" and pause.changes == ()


def test_an_interrupted_deployment_is_resumed_and_trading_stays_paused_until_checked() -> None:
    want = desired()
    interrupted = DeploymentView(id="dep-paper-2026.11.1-2", status="running", release="2026.11.1", started_at=T0)
    # everything got deployed before the crash, trading still REDUCING: checks must run before ACTIVE
    running = in_sync(
        want,
        interrupted=interrupted,
        finished_steps=("readiness", "pause_trading", "deploy.api"),
        trading=TradingView(state=TradingState.REDUCING, config_version=want.config_version),
    )
    result = plan(want, running)
    assert result.resume_of == "dep-paper-2026.11.1-2"
    assert ids(result.steps) == [
        "readiness",
        "pause_trading",
        "checks",
        "reconciliation",
        "enable_trading",
        "monitoring",
    ]
    # even with no drift at all, an interrupted deployment that never enabled trading is re-validated
    quiet = in_sync(want, interrupted=interrupted, finished_steps=("checks",))
    assert ids(plan(want, quiet).steps)[:2] == ["readiness", "pause_trading"]
    # one that had enabled trading only needs its record closed
    done = in_sync(want, interrupted=interrupted, finished_steps=("checks", "reconciliation", "enable_trading"))
    assert ids(plan(want, done).steps) == ["monitoring"]


@pytest.mark.parametrize(
    ("revision", "blocked"),
    [("0002_fills_exec_time_idx", None), ("0001_baseline", None), ("9999_unknown", "does not know"), (None, None)],
)
def test_migration_blockers(revision: str | None, blocked: str | None) -> None:
    want = desired()
    result = plan(want, in_sync(want, migration_revision=revision))
    if blocked is None:
        assert result.blockers == ()
    else:
        assert len(result.blockers) == 1 and blocked in result.blockers[0]


def test_a_schema_ahead_of_the_release_is_a_rollback_decision_not_an_apply() -> None:
    environment = STATE.environments["paper"]
    older = STATE.releases["2026.10.0"]  # pins 0001_baseline
    want = Desired(environment, older, config_version(environment), ("0001_baseline", "0002_fills_exec_time_idx"))
    result = plan(want, in_sync(desired(), migration_revision="0002_fills_exec_time_idx"))
    assert (
        len(result.blockers) == 1
        and "ahead of release 2026.10.0's 0001_baseline" in result.blockers[0]
        and "qm rollback" in result.blockers[0]
    )


def test_a_rollback_allowed_to_reverse_plans_the_downgrade_as_its_migrations_step() -> None:
    environment = STATE.environments["paper"]
    older = STATE.releases["2026.10.0"]
    chain = ("0001_baseline", "0002_fills_exec_time_idx")
    want = Desired(environment, older, config_version(environment), chain, reverse=True)
    result = plan(want, in_sync(desired(), migration_revision="0002_fills_exec_time_idx"))
    assert result.blockers == ()
    step = result.step("migrations")
    assert step is not None and step.title == (
        "Reverse migrations 0002_fills_exec_time_idx (database back to 0001_baseline)"
    )
    assert [c.describe() for c in step.changes] == ["migrations: 0002_fills_exec_time_idx → 0001_baseline"]
    # paused before the schema changes, and the schema changes before any service does
    assert ids(result.steps).index("pause_trading") < ids(result.steps).index("migrations")
    assert ids(result.steps).index("migrations") < ids(result.steps).index("deploy.api")
    # a rollback whose target is ahead of the schema upgrades, as any apply does
    ahead = plan(want, in_sync(desired(), migration_revision=None)).step("migrations")
    assert ahead is not None and ahead.title == "Migrate the database to 0001_baseline"
    # an unknown revision still blocks, reversal or not
    unknown = plan(want, in_sync(desired(), migration_revision="9999_unknown"))
    assert unknown.blockers and "does not know" in unknown.blockers[0]


def test_plan_touches_nothing_it_is_given() -> None:
    want = desired()
    observed = nothing_running("paper")
    before = observed.model_dump()
    first, second = plan(want, observed), plan(want, observed)
    assert first == second and observed.model_dump() == before
