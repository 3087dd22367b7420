"""The status server over real HTTP on a free loopback port, with a source of plain status
documents (the documents are data; the source that reads a running system is exercised by
test_browser.py). What an attacker could send to the halt action, and what the page never shows."""

from __future__ import annotations

import http.client
import json
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from quantmatrix.errors import Problem, Refused
from quantmatrix.runtime.secrets import SecretValue
from quantmatrix.statuspage.server import StatusApp, StatusServer, serve_in_background, stop_serving
from quantmatrix.statuspage.throttle import Throttle


class Documents:
    """A source of fixed documents that records the halts it is asked for."""

    def __init__(self, documents: list[dict[str, Any]], refuse: bool = False) -> None:
        self.documents, self.refuse = documents, refuse
        self.halts: list[tuple[str, str, str]] = []

    def environments(self) -> Sequence[str]:
        return [d["environment"] for d in self.documents]

    def read(self, name: str) -> dict[str, Any]:
        if name == "boom":
            raise RuntimeError("cannot read postgresql://qm:s3cr3tpassw0rd@db/qm")
        return next(d for d in self.documents if d["environment"] == name)

    def halt(self, name: str, reason: str, by: str) -> str:
        if self.refuse:
            raise Refused(Problem(name, message="nothing has been deployed here: no state store to halt"))
        self.halts.append((name, reason, by))
        return "trading ACTIVE → HALTED"


def _doc(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "environment": name,
        "mode": "paper",
        "in_sync": True,
        "drift": [],
        "trading": {"state": "ACTIVE", "reason": "ok"},
        **extra,
    }


Served = tuple[StatusApp, StatusServer, Documents, str]


def _serve(documents: list[dict[str, Any]], token: str | None, refuse: bool = False) -> Served:
    source = Documents(documents, refuse)
    app = StatusApp(source, halt_token=SecretValue("QM_TEST_TOKEN", token) if token else None, poll_interval=60)
    server, _ = serve_in_background(app, "127.0.0.1", 0)
    return app, server, source, token or ""


@pytest.fixture
def served() -> Iterator[Served]:
    started = _serve([_doc("paper"), _doc("boom")], secrets.token_urlsafe(24))
    try:
        yield started
    finally:
        stop_serving(started[0], started[1])


def request(
    server: StatusServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection from `source` (any 127.0.0.0/8 address: another client)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.server_address[1], timeout=5, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _halt(
    server: StatusServer, token: str | None, body: Any, source: str = "127.0.0.1", **headers: str
) -> tuple[int, dict[str, Any]]:
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    status, answer_headers, raw = request(server, "POST", "/api/halt", json.dumps(body).encode(), sent, source)
    answer = json.loads(raw)
    if "retry-after" in answer_headers:
        answer["retry_after"] = int(answer_headers["retry-after"])
    return status, answer


def test_every_answer_carries_the_security_headers_and_the_page_has_no_inline_script(served: Served) -> None:
    _, server, _, _ = served
    for path in ("/", "/app.js", "/app.css", "/api/status", "/metrics", "/nope"):
        status, headers, body = request(server, "GET", path)
        assert headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'"), path
        assert (
            headers["x-content-type-options"] == "nosniff"
            and headers["cache-control"] == "no-store"
            and "set-cookie" not in headers
        )
    _, _, page = request(server, "GET", "/")
    assert b'<script src="/app.js"' in page and b"<script>" not in page and b"style=" not in page
    _, _, script = request(server, "GET", "/app.js")
    assert b"innerHTML" not in script and b"textContent" in script


def test_status_and_metrics_one_unreadable_environment_fails_closed_without_its_secret(served: Served) -> None:
    app, server, _, _ = served
    status, headers, raw = request(server, "GET", "/api/status")
    assert status == 200 and headers["content-type"] == "application/json"
    paper, boom = json.loads(raw)["environments"]
    assert paper["in_sync"] is True and boom["in_sync"] is False and boom["trading"]["state"] is None
    assert "RuntimeError" in boom["error"] and b"s3cr3tpassw0rd" not in raw
    _, _, metrics = request(server, "GET", "/metrics")
    assert b'qm_environment_in_sync{environment="boom"} 0.0' in metrics
    assert b'qm_trading_state{environment="boom",state="UNKNOWN"} 1.0' in metrics


def test_documents_are_made_inert(make_canary: Any) -> None:
    canary = make_canary(mode="local", url=False)
    secret = canary.resolve()
    hostile = _doc(
        "paper",
        trading={
            "state": "HALTED",
            "reason": f"\x1b]0;pwned\x07 \u202eevil {secret.reveal()} postgresql://u:hunter2hunter2@h/db",
        },
    )
    app, server, _, _ = _serve([hostile], None)
    try:
        _, _, raw = request(server, "GET", "/api/status")
    finally:
        stop_serving(app, server)
    reason = json.loads(raw)["environments"][0]["trading"]["reason"]
    assert reason.startswith("\\x1b]0;pwned\\x07 \\u202eevil <redacted> ")  # escapes visible, the canary gone
    assert "hunter2hunter2" not in reason and reason.count("<redacted>") >= 2  # the detectors' hit too
    canary.assert_absent(raw, where="/api/status")


def test_halt_is_refused_unless_every_condition_holds(served: Served) -> None:
    _, server, source, token = served
    good = {"environment": "paper", "reason": "risk desk says stop"}
    assert _halt(server, None, good)[0] == 401
    assert _halt(server, "", good)[0] == 401
    assert _halt(server, token[:-1], good)[0] == 401
    assert _halt(server, token + "x", good)[0] == 401
    assert _halt(server, token.upper() if token.upper() != token else token.lower(), good)[0] == 401
    status, headers, _ = request(
        server,
        "POST",
        "/api/halt",
        b"environment=paper&reason=x",
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {token}"},
    )
    assert status == 415  # a cross-site form cannot post JSON
    assert _halt(server, token, good, Origin="http://evil.example")[0] == 403
    assert _halt(server, token, good, Host="evil.example:80")[0] == 421  # DNS rebinding
    assert _halt(server, token, {"environment": "nope", "reason": "x"})[0] == 404
    assert _halt(server, token, {"environment": "paper", "reason": " "})[0] == 400
    assert _halt(server, token, {"environment": "paper", "reason": "a\nforged line"})[0] == 400
    assert _halt(server, token, {"environment": "paper", "reason": "x" * 201})[0] == 400
    assert _halt(server, token, {"environment": "paper", "reason": "x", "by": "someone else"})[0] == 400
    assert _halt(server, token, ["paper"])[0] == 400
    status, _, _ = request(
        server, "POST", "/api/halt", b"{" * 10, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    )
    assert status == 400
    status, _, _ = request(
        server,
        "POST",
        "/api/halt",
        b"{}" + b" " * 5000,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert status == 413
    assert source.halts == []

    status, answer = _halt(server, token, good)
    assert status == 200 and answer["message"] == "trading ACTIVE → HALTED"
    assert source.halts == [("paper", "risk desk says stop", "status page")]


def test_halt_disabled_without_a_token_and_the_page_is_otherwise_read_only() -> None:
    app, server, source, _ = _serve([_doc("paper")], None)
    try:
        assert _halt(server, "anything-at-all-long-enough", {"environment": "paper", "reason": "x"}) == (
            403,
            {"error": "halt_disabled", "message": "halt is not enabled on this server (no token configured)"},
        )
        for method in ("PUT", "DELETE", "PATCH"):
            assert request(server, method, "/api/status", b"{}")[0] == 405
        assert request(server, "POST", "/api/status", b"{}", {"Content-Type": "application/json"})[0] == 405
        assert json.loads(request(server, "GET", "/api/status")[2])["halt_enabled"] is False
        assert source.halts == []
    finally:
        stop_serving(app, server)


def test_a_refused_halt_is_409_with_its_reason_and_short_tokens_are_refused() -> None:
    app, server, _, token = _serve([_doc("paper")], secrets.token_urlsafe(24), refuse=True)
    try:
        assert _halt(server, token, {"environment": "paper", "reason": "stop"}) == (
            409,
            {"error": "refused", "message": "paper: nothing has been deployed here: no state store to halt"},
        )
    finally:
        stop_serving(app, server)
    with pytest.raises(ValueError, match="at least 16"):
        StatusApp(Documents([]), halt_token=SecretValue("QM_TEST_TOKEN", "short"))


def test_drift_is_counted_when_it_starts_not_on_every_poll() -> None:
    documents = [_doc("paper")]
    app = StatusApp(Documents(documents), poll_interval=60)
    app.poll_once()
    documents[0] = _doc("paper", in_sync=False, drift=[{"subject": "trading", "before": "REDUCING", "after": "ACTIVE"}])
    for _ in range(3):
        app.poll_once()
    documents[0] = _doc("paper")
    app.poll_once()
    documents[0] = _doc(
        "paper",
        in_sync=False,
        drift=[
            {"subject": "trading", "before": "HALTED", "after": "ACTIVE"},
            {"subject": "component.api", "before": None, "after": "1"},
        ],
    )
    app.poll_once()
    text = app.metrics.exposition().decode()
    assert 'qm_drift_detected_total{environment="paper",kind="safety"} 2.0' in text
    assert 'qm_drift_detected_total{environment="paper",kind="services"} 1.0' in text


def test_the_last_successful_apply_sets_its_timestamp_and_a_failed_one_does_not() -> None:
    documents = [
        _doc(
            "paper",
            last_deployment={
                "id": "dep-1",
                "status": "failed",
                "started_at": "2026-12-03T10:00:00Z",
                "finished_at": "2026-12-03T10:01:00Z",
            },
        )
    ]
    app = StatusApp(Documents(documents), poll_interval=60)
    app.poll_once()
    assert "qm_last_apply_timestamp_seconds{" not in app.metrics.exposition().decode()
    documents[0] = _doc(
        "paper",
        last_deployment={
            "id": "dep-2",
            "status": "succeeded",
            "started_at": "2026-12-03T10:00:00Z",
            "finished_at": "2026-12-03T10:02:03Z",
        },
    )
    app.poll_once()
    assert 'qm_last_apply_timestamp_seconds{environment="paper"} 1.796292123e+09' in app.metrics.exposition().decode()
    documents[0] = _doc("paper", last_deployment={"id": "dep-3", "status": "succeeded", "finished_at": "not a time"})
    app.poll_once()  # a bad value changes nothing and breaks nothing
    assert 'qm_last_apply_timestamp_seconds{environment="paper"} 1.796292123e+09' in app.metrics.exposition().decode()


# -- wrong tokens are throttled (statuspage/throttle.py) ------------------------------------------


class Clock:
    """Monotonic seconds the test moves: a lockout's window passes without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttled() -> Iterator[tuple[Served, Clock]]:
    clock = Clock()
    source, token = Documents([_doc("paper")]), secrets.token_urlsafe(24)
    app = StatusApp(
        source,
        halt_token=SecretValue("QM_TEST_TOKEN", token),
        poll_interval=60,
        throttle=Throttle(per_client=3, global_limit=5, window=60, max_lockout=600, clock=clock),
    )
    server, _ = serve_in_background(app, "127.0.0.1", 0)
    try:
        yield (app, server, source, token), clock
    finally:
        stop_serving(app, server)


GOOD = {"environment": "paper", "reason": "risk desk says stop"}


def test_brute_force_is_locked_out_with_backoff_and_the_token_works_after_the_window(
    throttled: tuple[Served, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    (_, server, source, token), clock = throttled
    guesses = [secrets.token_urlsafe(24) for _ in range(3)]
    assert [_halt(server, guess, GOOD, "127.0.0.2")[0] for guess in guesses] == [401, 401, 401]
    status, answer = _halt(server, token, GOOD, "127.0.0.2")  # even the right token: not looked at
    assert (status, answer["error"], answer["retry_after"]) == (429, "too_many_attempts", 60)
    assert source.halts == []
    clock.now += 30
    assert _halt(server, guesses[0], GOOD, "127.0.0.2")[1]["retry_after"] == 30  # counts down, not reset
    clock.now += 31
    assert [_halt(server, guess, GOOD, "127.0.0.2")[0] for guess in guesses] == [401, 401, 401]
    assert _halt(server, token, GOOD, "127.0.0.2")[1]["retry_after"] == 120  # the second lockout doubles
    clock.now += 121
    assert _halt(server, token, GOOD, "127.0.0.2")[0] == 200
    assert source.halts == [("paper", "risk desk says stop", "status page")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "halt refused: missing or wrong token" in logged and "127.0.0.2" in logged
    assert "halt locked out" in logged
    assert token not in logged and not any(guess in logged for guess in guesses)


def test_one_attacker_does_not_lock_out_other_clients_but_a_spread_out_attack_meets_the_global_cap(
    throttled: tuple[Served, Clock],
) -> None:
    (_, server, source, token), clock = throttled
    wrong = secrets.token_urlsafe(24)
    for _ in range(3):
        _halt(server, wrong, GOOD, "127.0.0.2")
    assert _halt(server, wrong, GOOD, "127.0.0.2")[0] == 429
    assert _halt(server, token, GOOD, "127.0.0.1")[0] == 200  # the operator is not locked out
    assert _halt(server, wrong, GOOD, "127.0.0.3")[0] == 401  # another address starts from zero
    # the global cap (5 failures a minute, from anywhere): 3 from .2 and 1 from .3 so far
    status, answer = _halt(server, wrong, GOOD, "127.0.0.4")
    assert status == 401  # the failure that reaches the cap is still answered as one
    status, answer = _halt(server, token, GOOD, "127.0.0.1")
    assert status == 429 and "everyone" in answer["message"] and answer["retry_after"] == 60
    assert len(source.halts) == 1
    clock.now += 61
    assert _halt(server, token, GOOD, "127.0.0.1")[0] == 200
    assert len(source.halts) == 2


def test_throttle_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="per_client"):
        Throttle(per_client=10, global_limit=5)
