"""Fault injection through the admin routes and `qm sandbox fault`; hostile requests."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from sandbox_platform import Platform

from quantmatrix.sandbox.faults import FAULTS, FaultError, parse_fault


@pytest.fixture
def platform(paper_platform: Platform) -> Platform:
    paper_platform.reset()
    return paper_platform


def test_faults_are_set_listed_and_cleared_at_run_time(
    platform: Platform, qm: Callable[..., tuple[int, str, str]]
) -> None:
    code, out, err = qm("sandbox", "fault", platform.workers, "stale_prices")
    assert code == 0, err
    assert '"stale_prices": ""' in out
    assert httpx.get(f"{platform.api}/health").json()["components"]["market_data"]["status"] == "degraded"
    code, out, _ = qm("sandbox", "fault", platform.workers)
    assert code == 0 and "stale_prices" in out
    assert qm("sandbox", "fault", platform.workers, "--clear")[0] == 0
    assert httpx.get(f"{platform.api}/health").json()["components"]["market_data"]["status"] == "healthy"


@pytest.mark.parametrize(
    "target, fault, code, message",
    [
        ("workers", "unexpected_position", 2, "does not apply to the workers component"),
        ("api", "nonsense", 2, "unknown fault 'nonsense'"),
        ("api", "wrong_mode=sideways", 2, "not a mode"),
        ("api", "broken_screen", 2, "needs a value"),
    ],
)
def test_bad_faults_are_refused_by_the_cli(
    platform: Platform, qm: Callable[..., tuple[int, str, str]], target: str, fault: str, code: int, message: str
) -> None:
    url = platform.workers if target == "workers" else platform.api
    got, _, err = qm("sandbox", "fault", url, fault)
    assert got == code and message in err and "Traceback" not in err


def test_fault_cli_refuses_non_loopback_and_reports_unreachable(qm: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = qm("sandbox", "fault", "http://example.com:80", "unhealthy")
    assert code == 2 and "127.0.0.1" in err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = qm("sandbox", "fault", f"http://127.0.0.1:{port}", "unhealthy")
    assert code == 3 and "does not answer" in err


def test_reset_empties_the_book(platform: Platform, qm: Callable[..., tuple[int, str, str]]) -> None:
    assert (
        httpx.post(f"{platform.api}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 1}).status_code
        == 201
    )
    assert qm("sandbox", "fault", platform.api, "--reset")[0] == 0
    assert httpx.get(f"{platform.api}/api/positions").json()["positions"] == []


def test_a_foreign_host_header_is_refused(platform: Platform) -> None:
    """DNS rebinding: a web page whose name resolves to 127.0.0.1 cannot drive the admin routes."""
    answer = httpx.post(
        f"{platform.api}/_sandbox/faults", json={"fault": "crash"}, headers={"Host": "attacker.example:80"}
    )
    assert answer.status_code == 421
    assert httpx.get(f"{platform.api}/_sandbox/faults").json()["faults"] == {}


def test_post_bodies_must_be_json_and_small(platform: Platform) -> None:
    form = httpx.post(
        f"{platform.api}/_sandbox/faults",
        content=b"fault=crash",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    huge = httpx.post(
        f"{platform.api}/api/orders", content=b"[" + b"1," * 40000 + b"1]", headers={"Content-Type": "application/json"}
    )
    assert huge.status_code == 413
    broken = httpx.post(
        f"{platform.api}/api/orders", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert httpx.get(f"{platform.api}/health").status_code == 200  # still serving


def test_unknown_paths_and_methods(platform: Platform) -> None:
    assert httpx.get(f"{platform.api}/api/nothing").status_code == 404
    assert httpx.delete(f"{platform.api}/api/account").status_code == 405
    assert httpx.get(f"{platform.workers}/api/orders").status_code == 404  # the workers have no API screens


def test_ui_page_escapes_the_banner_and_shows_the_mode(platform: Platform) -> None:
    page = httpx.get(platform.ui)
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-mode="paper">PAPER TRADING</div>' in page.text


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_every_fault_kind_parses_for_the_components_it_names(kind: str) -> None:
    spec = FAULTS[kind]
    value = {"version": "9.9.9", "screen": "orders"}.get(spec.value, "")
    for component in ("api", "workers", "ui"):
        text = f"{kind}={value}" if value else kind
        if component in spec.components:
            assert parse_fault(text, component, "paper")[0] == kind
        else:
            with pytest.raises(FaultError, match="does not apply"):
                parse_fault(text, component, "paper")


def test_wrong_mode_defaults_to_a_dangerous_lie() -> None:
    assert parse_fault("wrong_mode", "api", "paper") == ("wrong_mode", "live")
    assert parse_fault("wrong_mode", "api", "live") == ("wrong_mode", "paper")
    with pytest.raises(FaultError, match="between 0 and 60"):
        parse_fault("slow=1e9", "api", "paper")


def test_broken_headers_get_an_answer_and_leave_no_traceback(platform: Platform) -> None:
    port = int(platform.api.rsplit(":", 1)[1])
    for request in (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: lots\r\n\r\n",
        b"POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(request)
            status = connection.recv(4096).split(b"\r\n", 1)[0]
        assert status.split()[1] in (b"400", b"413"), status
    assert httpx.get(f"{platform.api}/health").status_code == 200
