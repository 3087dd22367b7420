"""Whole `qm reconcile` processes: SIGTERM stops one between two steps of an apply and
releases its locks; four against one PostgreSQL reconcile an environment one at a time, and
when the owner is killed with SIGKILL another takes over within a bounded time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.ownership import NAMESPACE
from quantmatrix.reconcile.pg_lock import NAMESPACE as APPLY_NAMESPACE
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store.deployments import deployment_history
from quantmatrix.runtime.store.journal import journal_steps

from .conftest import PaperEnv, free_port, qm, wait_for  # type: ignore[import-not-found]

FAILOVER_WITHIN = 10.0  # seconds; the figure itself is in bench/README.md (observe interval 0.5 s here)


@pytest.fixture
def reconcilers(paper_env: PaperEnv) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _start(
    env: PaperEnv, started: list[subprocess.Popen[str]], log: Any, *extra: str, interval: str = "60"
) -> subprocess.Popen[str]:
    process = qm(
        "reconcile",
        "paper",
        "--path",
        str(env.repo),
        "--interval",
        interval,
        *extra,
        cwd=env.repo,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    started.append(process)
    return process


def _locks(env: PaperEnv, namespace: int) -> list[int]:
    """OS pids of the processes holding a lock in `namespace` (from their application_name)."""
    engine = create_engine(env.url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            names = (
                conn.execute(
                    text(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = CAST(:ns AS oid) AND a.datname = current_database()"
                    ),
                    {"ns": namespace},
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    return [int(n.rsplit("pid=", 1)[1].split()[0]) for n in names if "pid=" in n]


def _trading(env: PaperEnv) -> Any:
    raw = env.client.get(f"{env.prefix}trading")
    return None if raw is None else json.loads(raw)["state"]


def test_sigterm_during_an_apply_stops_between_steps_and_releases_the_locks(
    paper_env: PaperEnv, reconcilers: list[subprocess.Popen[str]], tmp_path: Any
) -> None:
    log = open(tmp_path / "reconcile.log", "w")
    process = _start(paper_env, reconcilers, log)
    connected = connect(load(paper_env.repo), "paper", paper_env.repo, create=False)
    try:
        assert connected.store is not None
        store = connected.store
        wait_for(lambda: len(deployment_history(store, "paper")) == 1, 60)  # the first apply has begun
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert _locks(paper_env, NAMESPACE) == [] and _locks(paper_env, APPLY_NAMESPACE) == []
        (record,) = deployment_history(store, "paper")
        steps = journal_steps(store, record.id)
        # every journaled step ended (finished or failed by its own hand): none cut in the middle;
        # a SIGTERM right after the record was opened leaves no step at all (none was started)
        assert all(s.state != "started" for s in steps), [(s.step, s.state) for s in steps]
        if record.status == "running":  # stopped between two steps: the next reconciler resumes it
            resumer = _start(paper_env, reconcilers, log)
            wait_for(lambda: deployment_history(store, "paper")[0].status == "succeeded", 90)
            resumer.send_signal(signal.SIGTERM)
            assert resumer.wait(timeout=60) == 0
            assert len(deployment_history(store, "paper")) == 1  # resumed, not a second deployment
    finally:
        connected.close()
        log.close()
    assert "Traceback" not in (tmp_path / "reconcile.log").read_text()


def test_four_reconcilers_one_owner_and_failover_after_kill_9(
    paper_env: PaperEnv, reconcilers: list[subprocess.Popen[str]], tmp_path: Any
) -> None:
    log = open(tmp_path / "four.log", "w")
    try:
        for _ in range(4):
            _start(paper_env, reconcilers, log)
        wait_for(lambda: len(_locks(paper_env, NAMESPACE)) == 1, 60)
        wait_for(lambda: _trading(paper_env) == "ACTIVE", 120)
        for _ in range(10):  # exactly one owner, sampled over a while
            owners = _locks(paper_env, NAMESPACE)
            assert len(owners) == 1, owners
            time.sleep(0.1)
        (owner,) = owners
        assert owner in {p.pid for p in reconcilers}
        killed_at = time.monotonic()
        os.kill(owner, signal.SIGKILL)
        # one look per try: two (`len(now) == 1`, then `now != [owner]`) saw the dead owner's lock,
        # then nobody's, and passed before any successor held it
        holders: list[int] = []

        def taken_over() -> bool:
            holders[:] = _locks(paper_env, NAMESPACE)
            return holders not in ([], [owner])

        wait_for(taken_over, FAILOVER_WITHIN)
        took = time.monotonic() - killed_at
        (successor,) = holders
        assert successor != owner and successor in {p.pid for p in reconcilers}
        assert took < FAILOVER_WITHIN
        # the successor keeps healing: a hand edit is put back
        limits = json.loads(paper_env.client.get(f"{paper_env.prefix}risk_limits"))
        paper_env.client.set(f"{paper_env.prefix}risk_limits", json.dumps({**limits, "max_order_notional": 7}))
        wait_for(
            lambda: json.loads(paper_env.client.get(f"{paper_env.prefix}risk_limits"))["max_order_notional"] == 10000,
            30,
        )
        for process in reconcilers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        assert all(p.wait(timeout=60) in (0, -signal.SIGKILL) for p in reconcilers)
        assert _locks(paper_env, NAMESPACE) == []
    finally:
        log.close()


def test_the_webhook_received_by_a_replica_that_does_not_own_the_environment_makes_the_owner_fetch(
    paper_env: PaperEnv, reconcilers: list[subprocess.Popen[str]], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reconcilers polling git once an hour: the webhook reaches the standby, which
    passes it on through the environment's Redis; the owner fetches and applies at once."""
    import httpx

    from quantmatrix.reconcile.webhook import signature

    log = open(tmp_path / "webhook.log", "w")
    try:
        owner = _start(paper_env, reconcilers, log, interval="3600")
        wait_for(lambda: _locks(paper_env, NAMESPACE) == [owner.pid], 60)
        wait_for(lambda: _trading(paper_env) == "ACTIVE", 120)
        monkeypatch.setenv("QM_TEST_WEBHOOK_SECRET", "s3cret-for-the-test")
        port = free_port()
        standby = _start(
            paper_env,
            reconcilers,
            log,
            "--webhook-port",
            str(port),
            "--webhook-secret-env",
            "QM_TEST_WEBHOOK_SECRET",
            interval="3600",
        )
        url = f"http://127.0.0.1:{port}/hooks/git"
        wait_for(lambda: _answers(url), 60)
        assert _locks(paper_env, NAMESPACE) == [owner.pid]  # the webhook's receiver is the standby
        paper_env.edit_paper("max_orders_per_minute: 60", "max_orders_per_minute: 45")
        sha = paper_env.commit("paper: 45 orders per minute")
        body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
        sent = httpx.post(url, content=body, headers={"X-Hub-Signature-256": signature(b"s3cret-for-the-test", body)})
        assert sent.status_code == 202
        wait_for(lambda: _limits(paper_env)["max_orders_per_minute"] == 45, 60)  # the owner's poll is an hour away
        assert _locks(paper_env, NAMESPACE) == [owner.pid] and standby.poll() is None
    finally:
        log.close()
    logged = (tmp_path / "webhook.log").read_text()
    assert "another replica received the git webhook" in logged and "Traceback" not in logged


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code == 405
    except httpx.HTTPError:
        return False


def _limits(env: PaperEnv) -> Any:
    return json.loads(env.client.get(f"{env.prefix}risk_limits"))
