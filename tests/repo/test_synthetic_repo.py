"""The benchmark's synthetic repository generator (bench/synthetic.py) writes valid,
realistic and deterministic repositories: the validate and policy benchmarks rely on it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from quantmatrix.repo.loader import load

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)


def test_a_small_synthetic_repository_is_valid(tmp_path: Path) -> None:
    repo = synthetic.write_repo(tmp_path / "repo", environments=30, strategies=20, releases=12)
    state = load(repo)
    assert len(state.environments) == 30 and len(state.releases) == 12
    modes = [env.spec.mode.value for env in state.environments.values()]
    assert {m: modes.count(m) for m in set(modes)} == {"local": 3, "live": 3, "paper": 12, "backtest": 12}
    assert all(len(env.spec.strategies) == 20 for env in state.environments.values())
    live = state.environments["live-0001"]
    assert live.spec.execution.routes_live_orders and live.spec.approvals.go_live_checklist is not None
    assert state.environments["backtest-0006"].spec.execution.credentials == {}


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    one = synthetic.write_repo(tmp_path / "one", environments=12, strategies=3, releases=4)
    two = synthetic.write_repo(tmp_path / "two", environments=12, strategies=3, releases=4)
    files = sorted(p.relative_to(one) for p in one.rglob("*.yaml"))
    assert files == sorted(p.relative_to(two) for p in two.rglob("*.yaml"))
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def _check(repo: Path):
    import shutil

    from quantmatrix.policy.gate import run_check
    from quantmatrix.repo.loader import load_source
    from quantmatrix.repo.source import open_source

    shutil.copytree(ROOT / "policies", repo / "policies")
    source = open_source(repo)
    return run_check(load_source(source), source=source, today=synthetic.TODAY)


def test_the_synthetic_repository_is_well_run_the_pack_finds_nothing(tmp_path: Path) -> None:
    repo = synthetic.write_repo(tmp_path / "repo", environments=40, strategies=20, releases=30)
    result = _check(repo)
    assert [(f.rule.id, f.location(), f.message) for f in (*result.findings, *result.waived)] == []


def test_the_noisy_synthetic_repository_is_findings_heavy(tmp_path: Path) -> None:
    repo = synthetic.write_repo(tmp_path / "repo", environments=40, strategies=20, releases=30, noisy=True)
    found = {f.rule.id for f in _check(repo).findings}
    assert found == {"QM-REL-006", "QM-PAP-007", "QM-LIVE-006", "QM-LIVE-008"}
