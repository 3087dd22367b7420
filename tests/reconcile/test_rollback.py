"""`qm rollback` against the real sandbox platform on local (three processes through the
process driver, SQLite store): the apply path aimed at an earlier release."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from quantmatrix.errors import ExitCode
from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.rollback import migration_refusal
from quantmatrix.repo.loader import load
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.store.deployments import deployment_history
from quantmatrix.runtime.store.journal import journal_steps

Run = Callable[..., subprocess.CompletedProcess[str]]


def _running(repo: Path) -> tuple[dict[str, str | None], TradingState | None, list]:  # type: ignore[type-arg]
    connected = connect(load(repo), "local", repo, create=False)
    try:
        assert connected.control is not None and connected.store is not None
        versions = {c: connected.driver.observe(c).version for c in ("api", "workers", "ui")}
        history = deployment_history(connected.store, "local")
        steps = {r.id: [s.step for s in journal_steps(connected.store, r.id) if s.state == "finished"] for r in history}
        return versions, connected.control.read().trading, [(r, steps[r.id]) for r in history]
    finally:
        connected.close()


def test_rollback_to_the_previous_release_then_apply_refuses_until_forced(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    done = qm_run(local_repo, "rollback", "local", "--yes", "--reason", "stop rounding bug INC-7")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rolled back local to 2026.11.0" in done.stdout and "git still pins 2026.11.1" in done.stdout
    versions, trading, history = _running(local_repo)
    assert versions == {"api": "3.3.0", "workers": "3.3.0", "ui": "2.8.0"}  # 2026.11.0's (its rollback.previous)
    assert trading is TradingState.ACTIVE
    record, steps = history[0]
    assert (
        record.release == "2026.11.0"
        and record.status == "succeeded"
        and record.rollback_used
        and record.rollback_of == "2026.11.1"
    )
    assert record.previous_release == "2026.11.1" and "stop rounding bug INC-7" in record.summary
    # trading paused first, enabled only after the checks and the reconciliation passed
    assert (
        steps.index("pause_trading")
        < steps.index("deploy.api")
        < steps.index("checks")
        < steps.index("reconciliation")
        < steps.index("enable_trading")
    )

    status = json.loads(qm_run(local_repo, "status", "local", "--format", "json").stdout)
    assert (
        status["in_sync"] is False
        and status["running"]["release"] == "2026.11.0"
        and status["desired"]["release"] == "2026.11.1"
    )
    assert status["drift"][0]["note"] == "rolled back to 2026.11.0; git pins 2026.11.1"
    assert "rolled back to 2026.11.0; git pins 2026.11.1" in qm_run(local_repo, "status", "local").stdout

    refused = qm_run(local_repo, "apply", "local", "--yes")  # must not silently re-deploy what was rolled back
    assert (
        refused.returncode == ExitCode.VIOLATIONS
        and "git still pins 2026.11.1" in refused.stderr
        and "--force-forward" in refused.stderr
    )
    assert _running(local_repo)[0]["api"] == "3.3.0" and len(_running(local_repo)[2]) == 2

    forward = qm_run(local_repo, "apply", "local", "--yes", "--force-forward")
    assert forward.returncode == 0, forward.stderr
    versions, trading, history = _running(local_repo)
    assert versions == {"api": "3.3.1", "workers": "3.3.2", "ui": "2.8.0"} and trading is TradingState.ACTIVE
    assert history[0][0].release == "2026.11.1" and not history[0][0].rollback_used


def test_after_a_rollback_changing_the_pin_in_git_is_a_plain_apply(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    assert qm_run(local_repo, "rollback", "local", "--to", "2026.11.0", "--yes").returncode == 0
    assert (
        qm_run(local_repo, "promote", "2026.11.0", "--to", "local", ".").returncode == 0
    )  # the pin follows the rollback
    again = qm_run(
        local_repo, "apply", "local", "--yes"
    )  # not refused: the pin changed (only the configuration version moves)
    assert again.returncode == 0 and "applied 2026.11.0" in again.stdout, again.stdout + again.stderr
    assert "deploy." not in again.stdout  # the services already run 2026.11.0
    assert json.loads(qm_run(local_repo, "status", "local", "--format", "json").stdout)["in_sync"] is True


def test_rollback_over_irreversible_migrations_is_refused_and_changes_nothing(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    before = _running(local_repo)
    refused = qm_run(local_repo, "rollback", "local", "--to", "2026.10.0", "--yes")
    assert refused.returncode == ExitCode.VIOLATIONS, refused.stdout + refused.stderr
    assert "needs schema 0001_baseline but it is at 0002_fills_exec_time_idx" in refused.stderr
    assert "does not declare them reversible" in refused.stderr and "do not roll back blindly" in refused.stderr
    after = _running(local_repo)
    assert (
        after[0] == before[0] and after[1] is TradingState.ACTIVE and len(after[2]) == len(before[2])
    )  # left as it is


def test_rollback_refuses_an_unknown_or_the_running_release(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    unknown = qm_run(local_repo, "rollback", "local", "--to", "../../etc/passwd", "--yes")
    assert unknown.returncode == ExitCode.VIOLATIONS and "no release manifest" in unknown.stderr
    same = qm_run(local_repo, "rollback", "local", "--to", "2026.11.1", "--yes")
    assert same.returncode == ExitCode.VIOLATIONS and "already the running release" in same.stderr
    assert len(_running(local_repo)[2]) == 1


def test_an_operator_halt_survives_a_rollback(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    assert qm_run(local_repo, "halt", "local", "--reason", "broker acting up").returncode == 0
    done = qm_run(local_repo, "rollback", "local", "--yes")
    assert done.returncode == 0, done.stderr
    versions, trading, history = _running(local_repo)
    assert versions["api"] == "3.3.0" and trading is TradingState.HALTED
    assert "enable_trading" not in history[0][1] and history[0][0].rollback_used


def test_a_schema_behind_the_target_is_allowed_and_reversal_is_judged_per_release() -> None:
    state = load(Path(__file__).resolve().parents[2])
    chain = ("0001_baseline", "0002_fills_exec_time_idx")
    r10, r11 = state.releases["2026.10.0"], state.releases["2026.11.0"]
    assert migration_refusal(state, "2026.10.0", r11, "0001_baseline", chain) is None  # forward: the apply upgrades
    assert migration_refusal(state, "2026.11.0", r10, "0001_baseline", chain) is None  # same schema
    # 2026.11.0 introduced 0002 and declares it reversible, and is the release left: allowed
    # (2026.11.1, also at 0002, introduced nothing: it is not asked)
    assert migration_refusal(state, "2026.11.0", r10, "0002_fills_exec_time_idx", chain) is None
    # the introducer that does not declare it refuses, whoever is left
    undeclared = state.releases["2026.11.0"].model_copy(
        update={
            "spec": r11.spec.model_copy(update={"database": r11.spec.database.model_copy(update={"reversible": False})})
        }
    )
    without = dataclasses.replace(state, releases={**state.releases, "2026.11.0": undeclared})
    assert "2026.11.0 does not declare them reversible" in (
        migration_refusal(without, "2026.11.0", r10, "0002_fills_exec_time_idx", chain) or ""
    )
    # 2026.11.1 (also at 0002) does not declare it reversible: refused
    assert "2026.11.1 does not declare them reversible" in (
        migration_refusal(state, "2026.11.1", r10, "0002_fills_exec_time_idx", chain) or ""
    )
    assert "does not order them" in (migration_refusal(state, None, r10, "9999_unknown", chain) or "")


def test_a_crashed_rollback_is_finished_by_rollback_not_by_apply(local_repo: Path, qm_run: Run) -> None:
    assert qm_run(local_repo, "apply", "local", "--yes").returncode == 0
    crashed = qm_run(local_repo, "rollback", "local", "--yes", failpoints="step.after_deploy.api=crash")
    assert crashed.returncode != 0
    versions, trading, history = _running(local_repo)
    assert history[0][0].status == "running" and versions["api"] == "3.3.0" and trading is not TradingState.ACTIVE
    forward = qm_run(local_repo, "apply", "local", "--yes")  # must not resume the rollback toward 2026.11.1
    assert forward.returncode == ExitCode.VIOLATIONS and "qm rollback local --to 2026.11.0" in forward.stderr
    assert _running(local_repo)[0]["api"] == "3.3.0"
    finished = qm_run(local_repo, "rollback", "local", "--yes")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    versions, trading, history = _running(local_repo)
    assert versions == {"api": "3.3.0", "workers": "3.3.0", "ui": "2.8.0"} and trading is TradingState.ACTIVE
    record = history[0][0]
    assert (
        record.id == "dep-local-2026.11.0-1"
        and record.status == "succeeded"
        and record.rollback_of == "2026.11.1"
        and len(history) == 2
    )
