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
    server: StatusServer, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _halt(server: StatusServer, token: str | None, body: Any, **headers: str) -> tuple[int, dict[str, Any]]:
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    status, _, raw = request(server, "POST", "/api/halt", json.dumps(body).encode(), sent)
    return status, json.loads(raw)


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
