"""The changes a deployment records come from the diff (guide §16), against the commit the
environment was last deployed from: end to end with `qm apply` on a real git repository and the
local sandbox, and the fallbacks (no earlier deployment, no git, a commit gone) through
`recorded_changes` on a real store."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from quantmatrix.reconcile.changes import DECLARED, recorded_changes
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store import Store, open_store
from quantmatrix.runtime.store.deployments import finish_deployment, start_deployment

Run = Callable[..., subprocess.CompletedProcess[str]]
Git = Callable[..., str]
TOKEN = "ghp_Q8vR2mXk4LpT7nWc9ZsB3yHd6FjA1eUo5iKq"  # the shape of a GitHub token: must never be stored
FOLDERS = ("environments", "releases", "migrations", "policies")


def _commit(git: Git, repo: Path, message: str) -> str:
    git(repo, "add", *FOLDERS)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert text.count(old) == 1, old
    file.write_text(text.replace(old, new))


def _history(qm_run: Run, repo: Path) -> list[dict[str, object]]:
    shown = qm_run(repo, "history", "local", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    return list(json.loads(shown.stdout)["deployments"])


def test_the_second_deployment_records_exactly_the_changes_of_its_commit(
    local_repo: Path, git: Git, qm_run: Run
) -> None:
    git(local_repo, "init", "-q", "-b", "main")
    first = _commit(git, local_repo, "local on 2026.11.1")
    done = qm_run(local_repo, "apply", "local", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr

    local = local_repo / "environments" / "local.yaml"
    _edit(local, "max_daily_loss: 250", "max_daily_loss: 200")
    _edit(
        local,
        "params: {lookback_minutes: 30, breakout_threshold: 0.015}",
        "params: {lookback_minutes: 45, breakout_threshold: 0.015}",
    )
    second = _commit(git, local_repo, "tighter loss limit, slower breakout")
    done = qm_run(local_repo, "apply", "local", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr

    newest, oldest = _history(qm_run, local_repo)
    # the first deployment: nothing earlier to diff against, so the manifest's claims, marked
    assert oldest["commit"] == first
    assert str(oldest["changes_basis"]).startswith("previous state unknown (no earlier successful deployment")
    assert oldest["config_changes"] == [DECLARED + "Local scanner interval 15s"]
    assert all(str(line).startswith(DECLARED) for line in oldest["strategy_changes"])  # type: ignore[attr-defined]
    # the second: the diff between the two commits, exactly
    assert newest["commit"] == second
    assert newest["changes_basis"] == f"diff from commit {first[:12]} of {oldest['id']}"
    assert newest["config_changes"] == ["Risk limits max_daily_loss: 250 → 200 (-20.0%)"]
    assert newest["strategy_changes"] == ["Strategies momentum_breakout params.lookback_minutes: 30 → 45 (+50.0%)"]
    assert newest["migration_changes"] == []

    markdown = qm_run(local_repo, "history", "local", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    section = markdown.stdout.split(f"## `{newest['id']}`")[1].split("## `")[0]
    assert f"Based on: diff from commit {first[:12]} of {oldest['id']}." in section
    assert "- Risk limits max_daily_loss: 250 → 200 (-20.0%)" in section
    assert "- Strategies momentum_breakout params.lookback_minutes: 30 → 45 (+50.0%)" in section
    assert "#### Migrations\n\n- none" in section


# --- recorded_changes on a real store and a real git repository ---------------------------------


@pytest.fixture
def committed(git_repo: Path, git: Git) -> tuple[Path, str]:
    return git_repo, git(git_repo, "rev-parse", "HEAD").strip()


def _deployed(root: Path, commit: str | None, release: str = "2026.11.1") -> Store:
    """A store whose last successful deployment of paper was `release` at `commit`."""
    store = open_store(f"sqlite:///{root}/.qm/state.db")
    deployment = start_deployment(store, "paper", release, commit=commit)
    finish_deployment(store, deployment, "succeeded")
    return store


def test_secrets_are_names_and_a_pasted_token_is_redacted(committed: tuple[Path, str], git: Git) -> None:
    repo, first = committed
    paper = repo / "environments" / "paper.yaml"
    _edit(paper, "key_id: {secret: QM_PAPER_BROKER_KEY_ID}", "key_id: {secret: QM_PAPER_BROKER_SECRET}")
    _edit(
        paper,
        "params: {lookback_minutes: 30, breakout_threshold: 0.015}",
        f"params: {{lookback_minutes: 30, breakout_threshold: 0.015, webhook_token: {TOKEN}}}",
    )
    git(repo, "commit", "-q", "-am", "a credential moved, a token pasted")
    state = load(repo)
    store = _deployed(repo, first)
    recorded = recorded_changes(state, store, "paper", repo, state.releases["2026.11.1"])
    every = "\n".join((*recorded.changes.config, *recorded.changes.migrations, *recorded.changes.strategies))
    assert recorded.basis.startswith(f"diff from commit {first[:12]}")
    assert "QM_PAPER_BROKER_KEY_ID" in every and "QM_PAPER_BROKER_SECRET" in every  # names: what changed
    assert TOKEN not in every and TOKEN[:12] not in every and "<redacted>" in every
    store.close()


def test_without_an_earlier_deployment_the_declared_changes_are_recorded_as_such(
    committed: tuple[Path, str],
) -> None:
    repo, _ = committed
    state = load(repo)
    store = open_store(f"sqlite:///{repo}/.qm/state.db")
    recorded = recorded_changes(state, store, "paper", repo, state.releases["2026.11.1"])
    assert recorded.basis == (
        "previous state unknown (no earlier successful deployment of this environment): "
        "the release manifest's declared changes"
    )
    assert recorded.changes.config == (DECLARED + "Local scanner interval 15s",)
    assert recorded.changes.strategies == (
        DECLARED + "momentum_breakout 1.4.0 → 1.4.2 (trailing stop rounding fix)",
        DECLARED + "pairs_stat_arb 0.9.0 → 0.9.1",
    )
    store.close()


@pytest.mark.parametrize(
    "situation, words",
    [
        ("commit gone", "cannot be loaded"),
        ("no commit recorded", "recorded no commit"),
        ("not a git repository", "cannot be loaded"),
    ],
)
def test_an_unknown_previous_state_is_said_not_guessed(
    situation: str, words: str, committed: tuple[Path, str], sample_repo: Path, tmp_path: Path
) -> None:
    repo, first = committed
    if situation == "not a git repository":
        repo = tmp_path / "plain"
        import shutil

        shutil.copytree(sample_repo, repo, ignore=shutil.ignore_patterns(".git"))
    recorded_commit = {"commit gone": "0" * 40, "no commit recorded": None}.get(situation, first)
    state = load(repo)
    store = _deployed(repo, recorded_commit)
    recorded = recorded_changes(state, store, "paper", repo, state.releases["2026.11.1"])
    assert recorded.basis.startswith("previous state unknown (") and words in recorded.basis, recorded.basis
    assert recorded.basis.endswith("the release manifest's declared changes")
    assert all(line.startswith(DECLARED) for line in (*recorded.changes.config, *recorded.changes.strategies))
    store.close()


def test_a_rollback_records_the_release_it_returns_to(committed: tuple[Path, str]) -> None:
    repo, first = committed
    state = load(repo)  # paper pins 2026.11.1; the rollback returns to 2026.11.0
    store = _deployed(repo, first)
    recorded = recorded_changes(state, store, "paper", repo, state.releases["2026.11.0"])
    assert recorded.basis.startswith(f"diff from commit {first[:12]}")
    assert recorded.changes.config == (
        "release: 2026.11.1 → 2026.11.0",
        "Release api: 3.3.1 → 3.3.0",
        "Release workers: 3.3.2 → 3.3.0",
        "Release config version: 2026.11.1 → 2026.11.0",
    )  # the environment's own configuration is the commit's: unchanged
    assert recorded.changes.strategies == recorded.changes.migrations == ()
    store.close()


def test_a_work_tree_applied_over_the_deployed_commit_records_its_edits(committed: tuple[Path, str]) -> None:
    repo, first = committed
    _edit(repo / "environments" / "paper.yaml", "max_daily_loss: 5000", "max_daily_loss: 4000")  # not committed
    state = load(repo)
    store = _deployed(repo, first)  # HEAD is still the deployed commit
    recorded = recorded_changes(state, store, "paper", repo, state.releases["2026.11.1"])
    assert recorded.basis.startswith(f"diff from commit {first[:12]}")
    assert recorded.changes.config == ("Risk limits max_daily_loss: 5,000 → 4,000 (-20.0%)",)
    store.close()
