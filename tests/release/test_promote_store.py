"""`qm promote RELEASE --to live --evidence <id> --store URL`: the paper deployment record in the
state store is the evidence (issue 10). Good, missing, wrong-release, failed, rolled-back,
unvalidated, non-paper, stale and still-observed records; hostile ids; an unreachable store.
Every refusal exits 1 (2 for input that is no id, 3 for the store) and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from quantmatrix.reconcile.evidence import paper_evidence
from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.deployments import finish_deployment, start_deployment
from quantmatrix.runtime.store.events import record_check_results

LIVE = "environments/live.yaml"
RELEASE = "2026.11.1"  # the manifest records no paper validation for it: only the store does


@dataclass(frozen=True)
class Check:  # the shape of quantmatrix.runtime.checks.CheckResult (CheckResultLike)
    name: str
    category: str
    passed: bool
    duration_seconds: float = 0.01
    message: str = "ok"


def paper_deployment(
    store,
    *,
    release: str = RELEASE,
    environment: str = "paper",
    mode: str | None = "paper",
    status: str = "succeeded",
    checks: tuple[bool, ...] = (True, True, True),
    age: timedelta = timedelta(days=2),
    observed_for: timedelta = timedelta(hours=20),
    rollback: bool = False,
) -> str:
    started = datetime.now(UTC) - age
    dep = start_deployment(
        store,
        environment,
        release,
        previous_release="2026.11.0",
        operator="dana.ops",
        engineer="li.eng",
        mode=mode,
        now=started,
    )
    names = ("health.api", "smoke.account_summary", "safety.mode_displayed")
    record_check_results(
        store,
        environment,
        [Check(names[i % 3] + f".{i}", "health", ok) for i, ok in enumerate(checks)],
        dep,
        now=started,
    )
    finish_deployment(
        store,
        dep,
        status,
        rollback_used=rollback,
        monitoring_until=started + observed_for,
        now=started + timedelta(minutes=5),
    )
    return dep


@pytest.fixture
def store(store_url: str):
    opened = open_store(store_url)
    yield opened
    opened.close()


def promote_live(qm, repo, store_url: str, evidence: str, *extra: str):
    return qm("promote", RELEASE, str(repo.root), "--to", "live", "--evidence", evidence, "--store", store_url, *extra)


def test_a_good_paper_record_in_the_store_promotes_to_live(repo, qm, store, store_url: str) -> None:
    dep = paper_deployment(store)
    code, out, err = promote_live(qm, repo, store_url, dep)
    assert code == 0, err
    assert f"evidence: paper deployment {dep} in the state store" in out
    assert "release: 2026.11.1" in repo.read(LIVE)
    assert qm("validate", str(repo.root))[0] == 0


def test_without_store_the_paper_environments_own_store_is_read(
    repo, qm, store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paper's runtime.store.url is {secret: QM_PAPER_POSTGRES_URL}: set, the id is looked up there."""
    failed = paper_deployment(store, status="failed")
    good = paper_deployment(store)
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", store_url)
    code, _, err = qm("promote", RELEASE, str(repo.root), "--to", "live", "--evidence", failed)
    assert code == 1 and "its status is failed" in err
    code, out, err = qm("promote", RELEASE, str(repo.root), "--to", "live", "--evidence", good)
    assert code == 0 and f"evidence: paper deployment {good} in the state store" in out, err


def test_where_the_store_cannot_be_read_here_the_manifest_is_the_record(
    repo, qm, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QM_PAPER_POSTGRES_URL", raising=False)
    dep = paper_deployment(store)
    code, _, err = qm("promote", RELEASE, str(repo.root), "--to", "live", "--evidence", dep)
    assert code == 1 and "records no paper validation" in err  # the manifest has none for 2026.11.1
    repo.validated_in_paper()
    code, out, err = qm("promote", RELEASE, str(repo.root), "--to", "live", "--evidence", "dep-paper-2026.11.1-1")
    assert code == 0 and "matches releases/2026.11.1 validation.paper" in out, err


NOT_EVIDENCE = [
    ({"release": "2026.11.0"}, "it deployed release 2026.11.0, not 2026.11.1"),
    ({"status": "failed"}, "its status is failed, not succeeded"),
    ({"status": "rolled_back", "rollback": True}, "it used a rollback"),
    ({"checks": (True, False, True)}, "1 validation result(s) failed: smoke.account_summary.1"),
    ({"checks": ()}, "it recorded no validation results"),
    ({"environment": "local", "mode": "local"}, "whose mode is local, not paper"),
    (
        {"environment": "live", "mode": None},
        "whose mode is live, not paper",
    ),  # an older record: judged by the desired state
    ({"environment": "staging", "mode": None}, "whose mode is unknown, not paper"),
    ({"age": timedelta(days=45)}, "older than 30 days"),
    ({"age": timedelta(hours=3)}, "its paper observation window runs until"),
]


def test_a_record_that_is_not_paper_evidence_is_refused_and_nothing_written(repo, qm, store, store_url: str) -> None:
    """One store, one record per case (a database per case would cost a second each)."""
    before = repo.read(LIVE)
    for kwargs, reason in NOT_EVIDENCE:
        dep = paper_deployment(store, **kwargs)
        code, out, err = promote_live(qm, repo, store_url, dep)
        assert code == 1 and reason in err, (kwargs, err)
        assert f"deployment {dep} is not paper evidence for {RELEASE}" in err
        assert repo.read(LIVE) == before and out == ""


def test_every_reason_is_given_at_once(repo, qm, store, store_url: str) -> None:
    dep = paper_deployment(store, release="2026.11.0", status="failed", checks=(False,))
    code, _, err = promote_live(qm, repo, store_url, dep)
    assert code == 1 and "3 problems" in err


def test_the_age_limit_is_a_setting(repo, qm, store, store_url: str) -> None:
    dep = paper_deployment(store, age=timedelta(days=10))
    code, _, err = promote_live(qm, repo, store_url, dep, "--max-evidence-age", "7")
    assert code == 1 and "older than 7 days" in err
    assert promote_live(qm, repo, store_url, dep, "--max-evidence-age", "14")[0] == 0


def test_a_missing_id_is_refused(repo, qm, store, store_url: str) -> None:
    paper_deployment(store)
    code, _, err = promote_live(qm, repo, store_url, "dep-paper-2026.11.1-99")
    assert code == 1 and "no deployment dep-paper-2026.11.1-99 in the state store" in err


def test_a_manifest_recording_a_failed_paper_validation_still_refuses(repo, qm, store, store_url: str) -> None:
    repo.validated_in_paper(result="failed")
    dep = paper_deployment(store)
    code, _, err = promote_live(qm, repo, store_url, dep)
    assert code == 1 and "records a failed paper validation" in err


def test_an_evidence_file_with_store_is_invalid_input(repo, qm, store, store_url: str, tmp_path) -> None:
    block = tmp_path / "evidence.yaml"
    block.write_text("deployment: dep-paper-2026.11.1-1\n")
    code, _, err = promote_live(qm, repo, store_url, str(block))
    assert code == 2 and "not an evidence file" in err


HOSTILE_IDS = [
    "dep-paper'; DROP TABLE qm_control.qm_deployments; --",
    "dep-paper-2026.11.1-1' OR '1'='1",
    "dep-" + "x" * 5000,
    "x" * 70000,
    "dep-paper-\x1b]0;pwned\x07\x1b[2J",
    "dep-paper-2026.11.1-1\x00",
    "dep-paper-2026.11.1-1\n2 problems",
    "dep-\u202epaper",
    "../../etc/passwd",
    "",
]


def test_hostile_ids_are_refused_cleanly(repo, qm, store, store_url: str) -> None:
    paper_deployment(store)
    before = repo.read(LIVE)
    for evidence in HOSTILE_IDS:
        code, out, err = promote_live(qm, repo, store_url, evidence)
        assert code in (1, 2), (evidence[:80], err)
        assert "Traceback" not in err and "unexpected error" not in err
        assert "\x1b" not in err and "\x00" not in err and "\u202e" not in err and len(err) < 2000
        assert repo.read(LIVE) == before
    assert "qm_deployments" in inspect(store.engine).get_table_names(
        schema="qm_control" if store.dialect == "postgresql" else None
    )


def test_hostile_ids_on_the_manifest_path_are_refused_cleanly(repo, qm) -> None:
    repo.validated_in_paper()
    for evidence in HOSTILE_IDS[:-1]:
        code, _, err = qm("promote", RELEASE, str(repo.root), "--to", "live", "--evidence", evidence)
        assert code in (1, 2), (evidence[:80], err)
        assert "Traceback" not in err and "unexpected error" not in err and "\x1b" not in err and len(err) < 2000


def test_an_unreachable_store_is_exit_3_and_writes_nothing(repo, qm) -> None:
    before = repo.read(LIVE)
    code, _, err = promote_live(qm, repo, "postgresql://qm:s3cretpw@127.0.0.1:1/qm", "dep-paper-2026.11.1-1")
    assert code == 3 and "s3cretpw" not in err and repo.read(LIVE) == before


def test_a_missing_sqlite_store_is_invalid_input_not_a_new_store(repo, qm, tmp_path) -> None:
    missing = tmp_path / "nowhere" / "state.db"
    code, _, err = promote_live(qm, repo, f"sqlite:///{missing}", "dep-paper-2026.11.1-1")
    assert code == 2 and "no state store" in err and not missing.exists()


def test_paper_evidence_is_the_newest_record_that_qualifies(store) -> None:
    assert paper_evidence(store, RELEASE) is None
    paper_deployment(store, status="failed")
    paper_deployment(store, checks=(True, False))
    assert paper_evidence(store, RELEASE) is None
    good = paper_deployment(store, age=timedelta(days=3))
    newer = paper_deployment(store, age=timedelta(days=2))
    paper_deployment(store, environment="local", mode="local", age=timedelta(days=1))
    found = paper_evidence(store, RELEASE)
    assert found is not None and found.id == newer and found.id != good
    assert paper_evidence(store, RELEASE, environment="paper") == found
    assert paper_evidence(store, "2026.11.0") is None
