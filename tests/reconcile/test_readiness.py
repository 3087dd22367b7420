"""Readiness at apply time: the policy gate, the deploy window (and break-glass), and for live
the preconditions, the people on duty and a paper deployment record **in the state store**."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quantmatrix.errors import ExitCode, Refused
from quantmatrix.reconcile.readiness import check_readiness
from quantmatrix.repo.loader import load
from quantmatrix.repo.source import open_source
from quantmatrix.runtime.checks import CheckResult
from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.deployments import finish_deployment, start_deployment
from quantmatrix.runtime.store.events import record_check_results

ROOT = Path(__file__).resolve().parents[2]
SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # XNYS closed all day
TUESDAY_SESSION = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York: in session


@pytest.fixture(autouse=True)
def _no_paper_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paper's store is unreadable from these tests unless one sets its URL secret."""
    monkeypatch.delenv("QM_PAPER_POSTGRES_URL", raising=False)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = open_store(f"sqlite:///{tmp_path}/.qm/state.db")
    yield opened
    opened.close()


def _check(store, when: datetime, name: str = "live", **options):  # type: ignore[no-untyped-def]
    state = load(ROOT)
    environment = state.environments[name]
    release = state.releases[environment.spec.release]
    return check_readiness(state, open_source(ROOT), environment, release, store, now=when, **options)


def _paper_record(store, release: str, status: str = "succeeded", passed: bool = True) -> str:  # type: ignore[no-untyped-def]
    """A paper deployment two days before the live apply, validated, its observation over."""
    started = SATURDAY - timedelta(days=2)
    deployment_id = start_deployment(store, "paper", release, mode="paper", now=started)
    check = CheckResult(
        name="health.api", category="health", status="healthy", passed=passed, duration_seconds=0.01, message="ok"
    )
    record_check_results(store, "paper", [check], deployment_id, now=started)
    finish_deployment(
        store, deployment_id, status, monitoring_until=started + timedelta(hours=8), now=started + timedelta(minutes=5)
    )  # type: ignore[arg-type]
    return deployment_id


def test_live_needs_the_release_cited_paper_deployment_in_the_store(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused, match="no successful paper deployment record in the state store") as refused:
        _check(store, SATURDAY)
    assert refused.value.exit_code == ExitCode.VIOLATIONS
    _paper_record(store, "2026.11.0", status="failed")  # dep-paper-2026.11.0-1, but it failed
    with pytest.raises(Refused, match="no successful paper deployment"):
        _check(store, SATURDAY)
    _paper_record(store, "2026.11.0")  # dep-paper-2026.11.0-2: not the one the release cites
    with pytest.raises(Refused, match="no successful paper deployment"):
        _check(store, SATURDAY)


def test_live_refuses_a_cited_paper_record_whose_validation_failed(store) -> None:  # type: ignore[no-untyped-def]
    assert _paper_record(store, "2026.11.0", passed=False) == "dep-paper-2026.11.0-1"
    with pytest.raises(Refused, match=r"dep-paper-2026.11.0-1: 1 validation result\(s\) failed: health.api"):
        _check(store, SATURDAY)


def test_live_passes_with_the_cited_record_and_names_everyone(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    assert _paper_record(store, "2026.11.0") == "dep-paper-2026.11.0-1"
    ready = _check(store, SATURDAY)
    assert ready.break_glass is None and ready.operator == "dana.ops" and ready.engineer == "li.eng"
    assert any("paper evidence dep-paper-2026.11.0-1" in note for note in ready.notes)
    assert any(note.startswith("policy gate passed") for note in ready.notes)


def test_live_in_session_is_refused_with_the_next_window_and_break_glass_overrides(store) -> None:  # type: ignore[no-untyped-def]
    _paper_record(store, "2026.11.0")
    with pytest.raises(Refused, match=r"deploy window closed: .*next window opens .*UTC.*--break-glass"):
        _check(store, TUESDAY_SESSION)
    ready = _check(store, TUESDAY_SESSION, break_glass="broker outage fix, INC-7")
    assert ready.break_glass == "broker outage fix, INC-7" and any("BREAK-GLASS" in note for note in ready.notes)


def test_the_policy_gate_is_rerun_on_the_tree_being_applied(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    for folder in ("environments", "releases", "policies"):
        shutil.copytree(ROOT / folder, repo / folder)
    local = repo / "environments" / "local.yaml"
    local.write_text(
        local.read_text().replace(
            "    account_type: dry_run\n", "    account_type: dry_run\n    routes_live_orders: true\n"
        )
    )
    state = load(repo)
    environment = state.environments["local"]
    with pytest.raises(Refused, match="the policy gate fails on the tree being applied"):
        check_readiness(
            state, open_source(repo), environment, state.releases[environment.spec.release], store, now=SATURDAY
        )


def test_live_finds_the_paper_record_in_the_paper_environments_own_store(
    tmp_path: Path,
    store,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Paper and live keep their state apart: the record paper's apply wrote is in paper's store
    (the one `qm promote --to live --evidence` read), not in live's."""
    paper = open_store(f"sqlite:///{tmp_path}/paper/state.db")
    try:
        assert _paper_record(paper, "2026.11.0") == "dep-paper-2026.11.0-1"
    finally:
        paper.close()
    with pytest.raises(Refused, match="cannot be read here: .*QM_PAPER_POSTGRES_URL") as refused:
        _check(store, SATURDAY)  # live's own store is empty, and paper's URL has no value here
    assert "no successful paper deployment record" in str(refused.value)
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", f"sqlite:///{tmp_path}/paper/state.db")
    ready = _check(store, SATURDAY)
    assert any("paper evidence dep-paper-2026.11.0-1" in note for note in ready.notes)
