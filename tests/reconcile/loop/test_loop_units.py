"""The loop's pure parts with plain data: drift comparison, policies by mode, backoff, the
webhook's signature, the follower's refusal of hostile input, the file ownership lock."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.model.common import Mode
from quantmatrix.reconcile import drift
from quantmatrix.reconcile.backoff import Backoff
from quantmatrix.reconcile.follow import Follower, GitUnavailable, check_branch, check_repo
from quantmatrix.reconcile.heal import DEFAULTS, Policy, policy_for
from quantmatrix.reconcile.ownership import try_own_file
from quantmatrix.reconcile.webhook import signature, valid
from quantmatrix.repo.loader import load
from quantmatrix.runtime.controlstate import ControlState, StrategyPin, TradingState

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _state(**change: object) -> ControlState:
    base = ControlState(
        environment="paper",
        mode=Mode.paper,
        trading=TradingState.ACTIVE,
        reason="",
        changed_by="",
        changed_at=NOW,
        risk_limits={"max_order_notional": 10000.0, "max_daily_loss": 5000},
        blocked_symbols=("GME",),
        strategies=(StrategyPin(name="s", version="1.0.0", enabled=True, capital=10.0),),
        config_version="a" * 64,
        version=3,
    )
    return base.model_copy(update=change)


def test_no_drift_when_only_the_version_counter_and_timestamps_differ() -> None:
    assert (
        drift.control_drift(
            "paper", _state(), _state(version=9, reason="x", changed_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
        == []
    )


def test_each_safety_subject_is_one_event_with_from_and_to() -> None:
    found = _state(
        trading=TradingState.ACTIVE, mode=Mode.live, risk_limits={"max_order_notional": 1e9}, blocked_symbols=()
    )
    events = drift.control_drift("paper", _state(trading=TradingState.HALTED), found)
    assert [(e.kind, e.subject, e.before, e.after) for e in events] == [
        ("safety", "trading", "HALTED", "ACTIVE"),
        ("safety", "mode", "paper", "live"),
        ("safety", "risk_limits.max_daily_loss", "5000", "absent"),
        ("safety", "risk_limits.max_order_notional", "10000", "1000000000"),
        ("safety", "blocked_symbols", '["GME"]', "[]"),
    ]
    assert drift.loosened(events) and not drift.tightened(events)


def test_config_subjects_are_not_safety() -> None:
    events = drift.control_drift("paper", _state(), _state(strategies=(), config_version="b" * 64))
    assert {(e.kind, e.subject) for e in events} == {("config", "strategies"), ("config", "config_version")}


def test_a_hand_halt_is_a_tightening() -> None:
    events = drift.control_drift("paper", _state(), _state(trading=TradingState.REDUCING))
    assert drift.tightened(events) and not drift.loosened(events)


def test_expected_state_takes_the_desired_configuration_only_at_the_same_config_version() -> None:
    stored = _state(risk_limits={"max_order_notional": 1})
    desired = _state(trading=TradingState.HALTED)
    assert drift.expected_state(stored, desired).risk_limits == desired.risk_limits
    assert drift.expected_state(stored, desired).trading is TradingState.ACTIVE  # trading is the store's
    newer = desired.model_copy(update={"config_version": "c" * 64})
    assert drift.expected_state(stored, newer) == stored  # a new configuration is the apply's business


def test_policies_by_mode_and_an_explicit_override() -> None:
    state = load(ROOT)
    assert policy_for(state.environments["live"]) == Policy("halt", "report", "apply")
    assert policy_for(state.environments["paper"]) == Policy("correct", "correct", "apply")
    assert policy_for(state.environments["local"]) == DEFAULTS[Mode.local]
    live = state.environments["live"]
    reporting = live.model_copy(
        update={
            "spec": live.spec.model_copy(
                update={
                    "runtime": live.spec.runtime.model_copy(
                        update={
                            "reconcile": live.spec.runtime.reconcile.model_copy(
                                update={
                                    "self_heal": live.spec.runtime.reconcile.self_heal.model_copy(
                                        update={"services": "report"}
                                    )
                                }
                            )
                        }
                    )
                }
            )
        }
    )
    assert policy_for(reporting) == Policy("halt", "report", "report")


def test_backoff_is_bounded_exponential_with_jitter() -> None:
    seen: list[tuple[float, float]] = []
    backoff = Backoff(base=0.5, cap=4.0, uniform=lambda a, b: (seen.append((a, b)), b)[1])
    delays = [backoff.next_delay() for _ in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert seen[0] == (0.25, 0.5) and backoff.failing
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_webhook_signature_is_hmac_sha256_and_compared_exactly() -> None:
    body = b'{"ref":"refs/heads/main"}'
    good = signature(b"k", body)
    assert good.startswith("sha256=") and valid(b"k", body, good)
    assert not valid(b"k", body + b" ", good) and not valid(b"other", body, good)
    assert not valid(b"k", body, None) and not valid(b"k", body, "") and not valid(b"k", body, good.upper())
    assert not valid(b"k", body, "sha256=\u00e9")


@pytest.mark.parametrize("branch", ["-x", "--upload-pack=evil", "a..b", "main\n", "refs/heads/../x", ""])
def test_hostile_branch_names_are_refused(branch: str) -> None:
    with pytest.raises(ConfigError):
        check_branch(branch)


@pytest.mark.parametrize(
    "repo", ["--upload-pack=touch /tmp/x", "ext::sh -c touch% /tmp/x", "", "/does/not/exist/qm", "a\nb"]
)
def test_hostile_repositories_are_refused(repo: str) -> None:
    with pytest.raises(ConfigError):
        check_repo(repo)


def test_follower_fetches_a_local_branch_and_checks_out_that_commit(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()

    def run(*a: str) -> str:
        return subprocess.run(
            ["git", "-C", str(origin), *a],
            check=True,
            capture_output=True,
            text=True,
            env={
                "PATH": "/usr/bin:/bin",
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@x",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@x",
            },
        ).stdout.strip()

    run("init", "-q", "-b", "main")
    (origin / "f").write_text("1")
    run("add", "f")
    run("commit", "-qm", "one")
    follower = Follower(str(origin), "main", tmp_path / "work")
    first = follower.fetch()
    assert first == run("rev-parse", "HEAD")
    assert (follower.checkout(first) / "f").read_text() == "1"
    (origin / "f").write_text("2")
    run("commit", "-qam", "two")
    second = follower.fetch()
    assert second != first and (follower.checkout(second) / "f").read_text() == "2"
    with pytest.raises(GitUnavailable):
        Follower(str(origin), "no-such-branch", tmp_path / "work2").fetch()


def test_file_ownership_is_exclusive_and_freed_on_release(tmp_path: Path) -> None:
    first = try_own_file(tmp_path, "local")
    assert first is not None and first.alive()
    assert try_own_file(tmp_path, "local") is None
    assert try_own_file(tmp_path, "paper") is not None
    first.release()
    again = try_own_file(tmp_path, "local")
    assert again is not None
    again.release()
    with pytest.raises(ConfigError):
        try_own_file(tmp_path, "../etc")


def test_a_git_outage_keeps_the_last_good_state_and_a_bad_commit_is_not_taken(tmp_path: Path) -> None:
    """The followed repository disappears, then comes back with a commit that does not load:
    the loop reports itself degraded, keeps reconciling to the last good commit, and recovers."""
    import shutil

    from quantmatrix.reconcile.loop import LoopOptions, Reconciler

    origin = tmp_path / "origin"
    for folder in ("environments", "releases", "migrations", "policies"):
        shutil.copytree(ROOT / folder, origin / folder)
    env = {
        "PATH": "/usr/bin:/bin",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }

    def git(*a: object) -> str:
        return subprocess.run(
            ["git", "-C", str(a[0]), *a[1:]], check=True, capture_output=True, text=True, env=env
        ).stdout.strip()

    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "good")
    good = git(origin, "rev-parse", "HEAD")
    seen: list[tuple[str, object]] = []

    class Events:
        def __getattr__(self, name: str) -> object:
            return lambda *args: seen.append((name, args))

    loop = Reconciler(LoopOptions(repo=str(origin), branch="main", workdir=tmp_path / "checkout"), Events())  # type: ignore[arg-type]
    assert loop.refresh() and loop.desired is not None and loop.desired.commit == good
    moved = tmp_path / "moved"
    origin.rename(moved)  # the server is gone
    assert not loop.refresh()
    assert loop.desired.commit == good and loop.git_degraded and seen[-1][0] == "degraded"
    moved.rename(origin)
    (origin / "environments" / "paper.yaml").write_text("spec: [not, an, environment\n")
    git(origin, "commit", "-qam", "broken")
    assert not loop.refresh()  # fetched, but it does not load: not taken
    assert loop.desired.commit == good and "environments/paper.yaml:2: YAML syntax error" in loop.git_degraded
    assert git(tmp_path / "checkout", "rev-parse", "HEAD") == good  # the work tree is back at the good commit
    git(origin, "revert", "--no-edit", "HEAD")
    assert loop.refresh() and loop.desired.commit == git(origin, "rev-parse", "HEAD")
    assert not loop.git_degraded and seen[-1] == ("recovered", (None,))
