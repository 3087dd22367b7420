"""The loop follows a branch of a real (local) git repository: a new commit is applied on the
next poll, or at once through the signed webhook; a bad signature is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from quantmatrix.reconcile.connect import connect
from quantmatrix.reconcile.webhook import WebhookServer, signature
from quantmatrix.repo.loader import load
from quantmatrix.runtime.secrets import SecretValue
from quantmatrix.runtime.store.deployments import deployment_history

from .conftest import PaperEnv, wait_for  # type: ignore[import-not-found]


def _orders_per_minute(env: PaperEnv) -> Any:
    raw = env.client.get(f"{env.prefix}risk_limits")
    return None if raw is None else json.loads(raw)["max_orders_per_minute"]


def _last_commit(checkout: Path) -> str | None:
    connected = connect(load(checkout), "paper", checkout, create=False)
    try:
        assert connected.store is not None
        return deployment_history(connected.store, "paper")[0].commit  # newest first
    finally:
        connected.close()


def test_a_new_commit_is_applied_on_the_next_poll(
    paper_env: PaperEnv, start_loop: Callable[..., Any], tmp_path: Path
) -> None:
    checkout = paper_env.repo.parent / "checkout"
    loop = start_loop(environments=("paper",), repo=str(paper_env.repo), branch="main", workdir=checkout, interval=0.5)
    wait_for(lambda: loop.in_sync(), 120)
    assert _orders_per_minute(paper_env) == 60
    paper_env.edit_paper("max_orders_per_minute: 60", "max_orders_per_minute: 50")
    sha = paper_env.commit("paper: fewer orders per minute")
    wait_for(lambda: _orders_per_minute(paper_env) == 50, 60)
    wait_for(lambda: any(d[2] == "succeeded" for d in loop.events.of("deployment")), 30)
    loop.stop()
    assert _last_commit(checkout) == sha  # exactly the fetched commit was applied
    assert (paper_env.repo / "environments" / "paper.yaml").read_text().count("max_orders_per_minute: 50") == 1


def test_the_webhook_applies_at_once_and_refuses_a_bad_signature(
    paper_env: PaperEnv, start_loop: Callable[..., Any]
) -> None:
    checkout = paper_env.repo.parent / "checkout"
    loop = start_loop(environments=("paper",), repo=str(paper_env.repo), branch="main", workdir=checkout, interval=3600)
    server = WebhookServer(
        "127.0.0.1", 0, SecretValue("QM_WEBHOOK_SECRET", "s3cret-for-test"), loop.reconciler.trigger_fetch
    )
    server.start()
    try:
        wait_for(lambda: loop.in_sync(), 120)
        before = _orders_per_minute(paper_env)
        paper_env.edit_paper(f"max_orders_per_minute: {before}", "max_orders_per_minute: 40")
        sha = paper_env.commit("paper: 40 orders per minute")
        url = f"http://127.0.0.1:{server.port}/hooks/git"
        body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
        forged = httpx.post(url, content=body, headers={"X-Hub-Signature-256": signature(b"wrong", body)})
        unsigned = httpx.post(url, content=body)
        assert (forged.status_code, unsigned.status_code) == (401, 401)
        time.sleep(1.5)
        assert _orders_per_minute(paper_env) == before  # nothing fetched: the hour-long poll is not due
        good = httpx.post(url, content=body, headers={"X-Hub-Signature-256": signature(b"s3cret-for-test", body)})
        assert good.status_code == 202
        wait_for(lambda: _orders_per_minute(paper_env) == 40, 60)
        assert (
            httpx.get(url).status_code == 405
            and httpx.post(url.replace("git", "other"), content=b"").status_code == 404
        )
    finally:
        server.stop()
        loop.stop()
    assert _last_commit(checkout) == sha
