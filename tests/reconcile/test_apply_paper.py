"""A paper-like environment end to end on the real services: the state store and the trading
schema in a PostgreSQL database of its own, the control keys in Redis under a prefix of its
own (mirroring the store), the sandbox platform on free ports, the PostgreSQL advisory lock.

Paper normally runs Kubernetes through the command driver (QM-RUN-002 refuses the sandbox
for paper); here the copy of the repository runs the sandbox under an expiring waiver, which
is how such an exception is made on purpose."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from quantmatrix.errors import ExitCode
from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.lock import acquire_apply_lock, this_process
from quantmatrix.repo.loader import load
from quantmatrix.runtime.store.deployments import deployment_history

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def paper_repo(
    local_repo: Path, pg_admin: Any, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str, str]]:
    from sqlalchemy.engine import make_url

    name = f"qm_test_{secrets.token_hex(6)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(str(pg_admin.url)).set(database=name).render_as_string(hide_password=False)
    prefix = f"qmtest:{secrets.token_hex(6)}:"
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", url)
    monkeypatch.setenv("QM_PAPER_REDIS_URL", "redis://127.0.0.1:6379/0")
    local = (local_repo / "environments" / "local.yaml").read_text()
    process = local[local.index("  runtime:") : local.index("    checks:")]  # local's process driver on its free ports
    paper = local_repo / "environments" / "paper.yaml"
    text_ = paper.read_text()
    start = text_.index("  runtime:")
    end = text_.index("    checks:", start)
    text_ = text_[:start] + process + text_[end:]
    text_ = text_.replace('key_prefix: "qm:paper:"', f'key_prefix: "{prefix}"')
    text_ = text_.replace("base_url: https://paper.qm.internal/api", "base_url: http://127.0.0.1:9/api").replace(
        "url: https://paper.qm.internal", "url: http://127.0.0.1:9"
    )
    assert "    allow: market_closed\n    margin_minutes: 15\n" in text_
    paper.write_text(
        text_.replace("    allow: market_closed\n    margin_minutes: 15\n", "    allow: any_time\n")
    )  # tests run at any hour
    expires = (date.today() + timedelta(days=30)).isoformat()
    (local_repo / "policies" / "waivers.yaml").write_text(
        "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n"
        + "".join(
            f"  - {{rule: QM-RUN-002, target: environments.paper.spec.runtime.process.components.{c}, reason: reconciler test on the sandbox, approver: sam.cto, expires: {expires}}}\n"
            for c in ("api", "workers", "ui")
        )
    )
    try:
        yield local_repo, url, prefix
    finally:  # the processes are stopped by local_repo's sweep, after this
        keys = list(redis_server.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            redis_server.delete(*keys)
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _redis_trading(redis_server: Any, prefix: str) -> dict[str, Any]:
    raw = redis_server.get(f"{prefix}trading")
    assert raw is not None
    return dict(json.loads(raw))


def test_paper_applies_on_postgresql_and_redis(
    paper_repo: tuple[Path, str, str], redis_server: Any, qm_run: Run
) -> None:
    repo, url, prefix = paper_repo
    done = qm_run(repo, "apply", "paper", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deployment dep-paper-2026.11.1-1 succeeded" in done.stdout
    # the sandbox obeys the Redis mirror of the store; both say ACTIVE, with the same version
    assert _redis_trading(redis_server, prefix)["state"] == "ACTIVE"
    connected = connect(load(repo), "paper", repo, create=False)
    try:
        assert connected.store is not None and connected.store.dialect == "postgresql"
        (record,) = deployment_history(connected.store, "paper")
        assert record.status == "succeeded" and record.operator == "dana.ops" or record.operator is None
        assert {c.name for c in record.validation} >= {
            "health.redis",
            "health.postgres",
            "safety.mode_displayed",
            "safety.reconciliation",
        }
        assert all(c.passed for c in record.validation)
        with connected.store.begin() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar_one()
                == "0002_fills_exec_time_idx"
            )
            assert (
                conn.execute(
                    text("SELECT count(*) FROM qm_control.qm_trading_state_history WHERE environment = 'paper'")
                ).scalar_one()
                >= 2
            )
        # paper paused to REDUCING (not HALTED) before the first service changed
        from quantmatrix.runtime.store.events import trading_history

        states = [row["trading"] for row in trading_history(connected.store, "paper")]
        assert states[0] == "REDUCING" and states[-1] == "ACTIVE" and "HALTED" not in states
    finally:
        connected.close()
    status = json.loads(qm_run(repo, "status", "paper", "--format", "json").stdout)
    assert status["in_sync"] is True and status["trading"]["state"] == "ACTIVE" and status["mode"] == "paper"


def test_a_second_paper_apply_exits_3_naming_the_postgresql_holder(
    paper_repo: tuple[Path, str, str], qm_run: Run
) -> None:
    repo, url, _prefix = paper_repo
    with acquire_apply_lock(url, "paper", this_process("apply", datetime.now(UTC))):
        blocked = qm_run(repo, "apply", "paper", "--yes")
    assert blocked.returncode == ExitCode.UNAVAILABLE, blocked.stderr
    assert "the lock is held by 'qm apply paper pid=" in blocked.stderr and "(PostgreSQL backend" in blocked.stderr
    assert url.split("@")[0] not in blocked.stderr or "postgres@" in url  # no password to leak in the test URL


def test_redis_lost_keys_are_not_trading_and_the_next_apply_rewrites_them(
    paper_repo: tuple[Path, str, str], redis_server: Any, qm_run: Run
) -> None:
    repo, _url, prefix = paper_repo
    assert qm_run(repo, "apply", "paper", "--yes").returncode == 0
    redis_server.delete(f"{prefix}trading")  # a wiped mirror: readers fail closed
    status = json.loads(qm_run(repo, "status", "paper", "--format", "json").stdout)
    assert status["trading"]["state"] is None and status["in_sync"] is False
    assert any(d["subject"] == "trading" for d in status["drift"])
    again = qm_run(repo, "apply", "paper", "--yes")
    assert again.returncode == 0, again.stderr
    assert _redis_trading(redis_server, prefix)["state"] == "ACTIVE"
