"""Health, smoke and safety checks against real sandbox processes (real HTTP, real Redis)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from sandbox_platform import REDIS_URL, ROOT, Platform  # noqa: E402

from quantmatrix.runtime.checks import CHECKS, CheckResult, CheckSettings, Target, probes, run_checks  # noqa: E402
from quantmatrix.runtime.control import TradingState  # noqa: E402

FAST = CheckSettings(timeout_seconds=2, retries=0, backoff_seconds=0, deadline_seconds=5)


redis_probe = probes.redis_probe(REDIS_URL)
postgres_probe = probes.postgres_probe("postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def target(platform: Platform, **changes: object) -> Target:
    options: dict[str, object] = {
        "api_url": platform.api,
        "ui_url": platform.ui,
        "redis": redis_probe,
        "postgres": postgres_probe,
        "expected_versions": platform.versions,
    }
    return Target(**{**options, **changes})  # type: ignore[arg-type]


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


@pytest.fixture
def paper(paper_platform: Platform) -> Platform:
    paper_platform.reset()
    return paper_platform


def test_a_healthy_paper_platform_passes_every_check(paper: Platform) -> None:
    results = run_checks(target(paper), paper.environment, FAST)
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert failed == []
    names = [r.name for r in results]
    assert names == [n for n in CHECKS if n not in ("smoke.momentum_radar", "smoke.watchlist")]  # local only (§7)
    for result in results:
        assert (result.status == "healthy") == (result.category == "health")
        assert result.duration_seconds >= 0 and result.message
    assert "probe orders refused (AMC, GME)" in by_name(results)["safety.blocked_symbols_enforced"].message


def test_local_adds_radar_and_watchlist_and_skips_services_it_does_not_require(local_platform: Platform) -> None:
    local_platform.reset()
    results = by_name(run_checks(Target(local_platform.api, local_platform.ui), local_platform.environment, FAST))
    assert "health.redis" not in results and "health.postgres" not in results  # local: required: false
    assert results["smoke.momentum_radar"].passed and results["smoke.watchlist"].passed
    assert all(r.passed for r in results.values()), [r for r in results.values() if not r.passed]
    assert results["safety.blocked_symbols_enforced"].message == "no blocked symbols configured"


def test_checks_pass_while_trading_is_halted_and_blocked_symbols_are_still_proven(paper: Platform) -> None:
    paper.control.plane.set_trading(TradingState.HALTED, "deploying", "reconciler")
    results = by_name(run_checks(target(paper), paper.environment, FAST))
    assert results["safety.blocked_symbols_enforced"].passed, results["safety.blocked_symbols_enforced"].message


def test_required_services_without_a_probe_or_unreachable_are_missing(paper: Platform) -> None:
    def refused() -> None:
        with socket.create_connection(("127.0.0.1", free_port()), timeout=1):
            pass

    results = by_name(
        run_checks(
            target(paper, redis=None, postgres=refused),
            paper.environment,
            FAST,
            names=["health.redis", "health.postgres"],
        )
    )
    assert results["health.redis"].status == "missing" and "no connection" in results["health.redis"].message
    assert (
        results["health.postgres"].status == "missing"
        and "unreachable (ConnectionRefusedError)" in results["health.postgres"].message
    )


def test_a_service_probe_is_retried_like_a_request_and_fails_after_its_retries(paper: Platform) -> None:
    """One slow or failed SELECT 1 on a busy machine does not fail the check while a retry is
    left (retries, backoff × 2^(n-1) through the sleep given); every try failing does."""
    calls: list[int] = []
    waits: list[float] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("server closed the connection")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retrying = CheckSettings(timeout_seconds=2, retries=2, backoff_seconds=0.5, deadline_seconds=5)
    results = by_name(
        run_checks(target(paper, postgres=flaky), paper.environment, retrying, names=["health.postgres"], sleep=sleep)
    )
    assert results["health.postgres"].status == "healthy" and len(calls) == 3 and waits == [0.5, 1.0]
    calls.clear()
    results = by_name(run_checks(target(paper, postgres=flaky), paper.environment, FAST, names=["health.postgres"]))
    assert results["health.postgres"].status == "missing" and len(calls) == 1  # retries=0: one try
    assert "unreachable (ConnectionResetError)" in results["health.postgres"].message


def test_an_api_that_is_not_there_is_missing_everywhere_never_healthy(paper: Platform) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    results = run_checks(Target(nowhere, nowhere, redis_probe, postgres_probe), paper.environment, FAST)
    http_checks = [r for r in results if r.name not in ("health.redis", "health.postgres")]
    assert http_checks and not any(r.passed for r in http_checks)
    assert by_name(results)["health.api"].status == "missing"
    assert "unreachable" in by_name(results)["health.broker"].message


def test_unreadable_control_state_fails_health_and_safety(paper: Platform) -> None:
    paper.control.wipe()
    results = by_name(run_checks(target(paper), paper.environment, FAST))
    assert results["health.api"].status == "degraded" and "not trading" in results["health.api"].message
    assert not results["safety.risk_limits_loaded"].passed
    assert not results["safety.blocked_symbols_enforced"].passed


def test_risk_limits_differing_from_the_desired_state_fail(paper: Platform) -> None:
    paper.control.publish(
        paper.environment, risk_limits={**paper.control.plane.read().risk_limits, "max_daily_loss": 9999}
    )
    result = by_name(run_checks(target(paper), paper.environment, FAST, names=["safety.risk_limits_loaded"]))[
        "safety.risk_limits_loaded"
    ]
    assert not result.passed and "max_daily_loss is 9999" in result.message and "configured 5000" in result.message


def test_a_blocked_symbol_missing_from_the_loaded_list_fails(paper: Platform) -> None:
    paper.control.publish(paper.environment, blocked_symbols=("GME",))
    result = run_checks(target(paper), paper.environment, FAST, names=["safety.blocked_symbols_enforced"])[0]
    assert (
        not result.passed
        and "not loaded: AMC" in result.message
        and "a probe order for blocked symbol AMC was accepted" in result.message
    )


def test_positions_and_orders_the_caller_expects_pass_others_fail(paper: Platform) -> None:
    import httpx

    httpx.post(f"{paper.api}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 2}).raise_for_status()
    opened = httpx.post(
        f"{paper.api}/api/orders",
        json={"symbol": "MSFT", "side": "buy", "quantity": 1, "type": "limit", "limit_price": 1},
    ).json()["order"]
    names = ["safety.no_unexpected_positions", "safety.no_unexpected_orders"]
    unexpected = by_name(run_checks(target(paper), paper.environment, FAST, names=names))
    assert "unexpected positions: AAPL 2.0" in unexpected["safety.no_unexpected_positions"].message
    assert f"unexpected open orders: {opened['id']} (MSFT)" in unexpected["safety.no_unexpected_orders"].message
    expected = run_checks(
        target(paper, expected_positions={"AAPL": 2}, expected_orders=frozenset({opened["id"]})),
        paper.environment,
        FAST,
        names=names,
    )
    assert all(r.passed for r in expected), expected


def test_retries_back_off_exponentially_with_the_sleep_passed_in(paper: Platform) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = CheckSettings(timeout_seconds=1, retries=3, backoff_seconds=0.5, deadline_seconds=5)
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run_checks(Target(nowhere), paper.environment, settings, names=["health.api"], sleep=sleep)[0]
    assert slept == [0.5, 1.0, 2.0]  # three retries, doubling; no real time spent
    assert result.status == "missing" and result.duration_seconds < 1


def test_a_check_without_a_verdict_by_its_deadline_fails(paper: Platform) -> None:
    import httpx

    httpx.post(f"{paper.api}/_sandbox/faults", json={"fault": "slow=2"}).raise_for_status()
    settings = CheckSettings(timeout_seconds=10, retries=0, backoff_seconds=0, deadline_seconds=0.3)
    result = run_checks(target(paper), paper.environment, settings, names=["smoke.settings"])[0]
    assert not result.passed and "no verdict within the 0.3 s deadline" in result.message
    assert result.duration_seconds < 1.5


def test_unknown_check_names_are_refused(paper: Platform) -> None:
    with pytest.raises(KeyError, match="health.nope"):
        run_checks(target(paper), paper.environment, FAST, names=["health.nope"])


def test_every_guide_section_12_item_is_a_named_check() -> None:
    guide = {
        "health": [
            "api",
            "redis",
            "postgres",
            "market_data",
            "broker",
            "risk_manager",
            "scanner",
            "strategy_allocator",
            "analytics_pipeline",
        ],
        "smoke": [
            "ui_loads",
            "account_summary",
            "orders",
            "positions",
            "risk",
            "settings",
            "momentum_radar",
            "watchlist",
        ],
        "safety": [
            "mode_displayed",
            "no_unexpected_positions",
            "no_unexpected_orders",
            "blocked_symbols_enforced",
            "risk_limits_loaded",
            "reconciliation",
            "no_duplicate_orders",
            "operator_controls",
        ],  # the last three: §13 triggers
    }
    for category, names in guide.items():
        for name in names:
            assert CHECKS[f"{category}.{name}"].category == category


def test_qm_checks_cli(
    paper: Platform, qm: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QM_CHECKS_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("QM_CHECKS_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    code, out, err = qm("checks", "paper", ROOT, "--api-url", paper.api, "--ui-url", paper.ui)
    assert code == 0, out + err
    assert (
        "PASS health.redis [healthy]" in out
        and "PASS safety.mode_displayed" in out
        and out.rstrip().endswith("24 passed, 0 failed")
    )
    assert "PASS health.versions [healthy]" in out and "api 3.3.1" in out
    import httpx

    httpx.post(f"{paper.ui}/_sandbox/faults", json={"fault": "wrong_mode"}).raise_for_status()
    code, out, _ = qm(
        "checks",
        "paper",
        ROOT,
        "--api-url",
        paper.api,
        "--ui-url",
        paper.ui,
        "--format",
        "json",
        "--check",
        "safety.mode_displayed",
    )
    assert code == 1 and '"passed": false' in out and "the UI banner says" in out


def test_qm_checks_cli_exit_codes(paper: Platform, qm: Callable[..., tuple[int, str, str]]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    assert qm("checks", "paper", ROOT, "--api-url", nowhere, "--ui-url", nowhere, "--check", "health.api")[0] == 3
    code, _, err = qm("checks", "nope", ROOT)
    assert code == 2 and "no environment 'nope'" in err
    code, _, err = qm("checks", "paper", ROOT, "--check", "health.nope")
    assert code == 2 and "unknown check(s) health.nope" in err


def test_qm_checks_records_the_results_in_the_store(
    paper: Platform, qm: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    from quantmatrix.runtime.store import open_store
    from quantmatrix.runtime.store.events import list_check_results

    url = f"sqlite:///{tmp_path / 'state.db'}"
    code, out, err = qm(
        "checks",
        "paper",
        ROOT,
        "--api-url",
        paper.api,
        "--ui-url",
        paper.ui,
        "--store-url",
        url,
        "--check",
        "health.api",
        "--check",
        "safety.mode_displayed",
    )
    assert code == 0, out + err
    store = open_store(url)
    try:
        rows = list_check_results(store, "paper")
    finally:
        store.close()
    assert [(r.name, r.category, r.status, r.passed) for r in rows] == [
        ("health.api", "health", "healthy", True),
        ("safety.mode_displayed", "safety", None, True),
    ]


def test_a_hostile_service_cannot_put_control_characters_in_messages(paper: Platform) -> None:
    """A stand-in for a service that lies and attacks: escape sequences, bidi overrides and a
    secret in every string it returns. The checks fail, and their messages are inert and
    redacted (what they say is printed by qm checks and stored by the reconciler)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    key = "AKIA" + "QMTESTCANARY0001"  # an access key id the detectors flag, echoed by the service
    evil = f"\x1b[2J\x1b]0;pwned\x07\u202eLIVE\r\nFAKE: PASS token {key}"

    class Hostile(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            entry = {"status": "degraded", "message": evil, "mode": evil, "version": evil}
            body = {
                "status": "healthy",
                "mode": evil,
                "components": {name: entry for name in ("api", "workers", "ui", "broker", evil)},
                "positions": [{"symbol": evil, "quantity": evil}],
                "orders": [{"id": evil, "symbol": evil, "status": "open"}],
                "limits": {"max_order_notional": evil},
                "in_sync": False,
                "mismatches": [{"symbol": evil}],
            }
            if self.path == "/":
                data, kind = f'<div id="mode-banner" data-mode="{evil}">{evil}</div>'.encode(), "text/html"
            else:
                data, kind = json.dumps(body).encode(), "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps({"error": evil, "message": evil}).encode()
            self.send_response(418)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        results = run_checks(Target(url, url, expected_versions={"api": "3.3.1"}), paper.environment, FAST)
    finally:
        server.shutdown()
        server.server_close()
    lied_to = {
        "health.api",
        "health.broker",
        "safety.mode_displayed",
        "safety.no_unexpected_positions",
        "safety.no_unexpected_orders",
        "safety.blocked_symbols_enforced",
        "safety.risk_limits_loaded",
        "safety.reconciliation",
        "safety.operator_controls",
    }
    assert not [r.name for r in results if r.name in lied_to and r.passed]
    for result in results:
        assert all(ch.isprintable() for ch in result.message), (result.name, result.message)
        assert key not in result.message
    assert any("\\x1b[2J" in r.message for r in results)  # shown as a visible escape, not run


def test_probes_from_the_objects_the_caller_holds(paper: Platform, tmp_path: Path) -> None:
    from quantmatrix.runtime.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    names = ["health.redis", "health.postgres"]
    try:
        healthy = run_checks(
            target(paper, redis=paper.control.client.ping, postgres=probes.store_probe(store)),
            paper.environment,
            FAST,
            names=names,
        )
        assert [(r.name, r.status) for r in healthy] == [("health.redis", "healthy"), ("health.postgres", "healthy")]
    finally:
        store.close()
    result = run_checks(
        target(paper, redis=probes.redis_probe(f"redis://127.0.0.1:{free_port()}/0")),
        paper.environment,
        FAST,
        names=["health.redis"],
    )[0]
    assert result.status == "missing" and "unreachable (ConnectionError)" in result.message
