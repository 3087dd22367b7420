"""The status page's HTTP server: `/` (the page), `/app.js`, `/app.css`, `/api/status` (JSON),
`/metrics` (Prometheus text format) and, only when a token is configured, `POST /api/halt`.

Why the standard library's `ThreadingHTTPServer` (as the sandbox): no web framework to pull in
for six routes, starts in ~0.1 s, a thread per request is plenty for a page a few operators
watch, and the code that matters (what is shown, who may halt) stays plain functions.

Reading the running system is done by one poller thread every `poll_interval` seconds, not per
request: a page refreshing every 500 ms in many browsers costs the services nothing more, and
the metrics' gauges move with the same observation. Every answer carries a strict
Content-Security-Policy, `nosniff`, `no-store` and `frame-ancestors 'none'`.

Halt, the one action: `POST /api/halt` with `Authorization: Bearer <token>` and a JSON body
`{"environment", "reason"}`. The token is compared in constant time; no cookie is ever set or
read, so a cross-site page cannot ride a session (it cannot set the header or send JSON
without a CORS preflight, which this server never approves). Disabled unless configured.
Wrong tokens are throttled per remote address and overall (`throttle.py`: 429 + Retry-After).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from quantmatrix.errors import QMError
from quantmatrix.observability.metrics import CONTENT_TYPE, Metrics
from quantmatrix.runtime.secrets import SecretValue, redact
from quantmatrix.sandbox.server import host_name
from quantmatrix.sandbox.state import LOOPBACK_HOSTS
from quantmatrix.statuspage.assets import CSP, CSS, PAGE, SCRIPT
from quantmatrix.statuspage.document import inert, unreadable
from quantmatrix.statuspage.throttle import Throttle

log = logging.getLogger("quantmatrix.statuspage")
MAX_BODY = 4096
MAX_REASON = 200
MIN_TOKEN = 16


class StatusSource(Protocol):
    """Where the page's documents come from, and how a halt is carried out."""

    def environments(self) -> Sequence[str]: ...

    def read(self, name: str) -> dict[str, Any]: ...

    def halt(self, name: str, reason: str, by: str) -> str: ...


class StatusApp:
    """The page's state: the latest snapshot (refreshed by a poller thread), the metrics, the
    halt token. Safe to share between request threads."""

    def __init__(
        self,
        source: StatusSource,
        metrics: Metrics | None = None,
        halt_token: SecretValue | None = None,
        poll_interval: float = 0.25,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        observe_metrics: bool = True,
        throttle: Throttle | None = None,
    ) -> None:
        """`observe_metrics=False` when the reconcile loop owns the metrics (its `MetricsEvents`
        counts drift and moves the gauges): the page then only serves them."""
        if halt_token is not None and len(halt_token.reveal()) < MIN_TOKEN:
            raise ValueError(f"the halt token ({halt_token.name}) must be at least {MIN_TOKEN} characters")
        self.source, self.metrics, self.halt_token = source, metrics or Metrics(), halt_token
        self.throttle = throttle or Throttle()
        self.poll_interval, self.clock, self.observe_metrics = poll_interval, clock, observe_metrics
        self._lock = threading.Lock()
        self._documents: list[dict[str, Any]] = []
        self._generated: datetime | None = None
        self._drifting: dict[str, set[str]] = {}
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    # --- observation ---------------------------------------------------------------------
    def poll_once(self) -> list[dict[str, Any]]:
        documents = []
        for name in self.source.environments():
            try:
                document = self.source.read(name)
            except Exception as error:  # noqa: BLE001 - one environment's failure must not blank the page
                document = unreadable(name, f"{type(error).__name__} while reading the running system")
            documents.append(document)
            if self.observe_metrics:
                self._count(document)
        with self._lock:
            self._documents, self._generated = documents, self.clock()
        return documents

    def _count(self, document: dict[str, Any]) -> None:
        """Gauges from the document (in sync, trading state, the last successful apply's end);
        drift counted when a subject starts drifting (not per poll)."""
        name = document["environment"]
        try:
            self.metrics.observe_status(document)
        except ValueError:
            return
        last = document.get("last_deployment") or {}
        if last.get("status") == "succeeded" and isinstance(last.get("finished_at"), str):
            try:
                self.metrics.apply_finished(
                    name, datetime.fromisoformat(last["finished_at"].replace("Z", "+00:00")).timestamp()
                )
            except ValueError:
                pass
        subjects = {str(c.get("subject")) for c in document.get("drift") or []}
        new = subjects - self._drifting.get(name, set())
        self._drifting[name] = subjects
        if new:
            self.metrics.drifts(name, sorted(new))
            log.warning(
                "drift detected", extra={"environment": name, "event": "drift_detected", "subjects": sorted(new)}
            )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            documents, generated = list(self._documents), self._generated
        return {
            "generated_at": None
            if generated is None
            else generated.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "halt_enabled": self.halt_token is not None,
            "environments": documents,
        }

    def start(self) -> None:
        """Poll now, then every `poll_interval` seconds in a daemon thread until `stop()`."""
        self.poll_once()
        self._thread = threading.Thread(target=self._run, name="qm-status-poller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            if not self._stop.is_set():
                self.poll_once()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # --- the one action ------------------------------------------------------------------
    def authorised(self, header: str | None) -> bool:
        if self.halt_token is None or not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), self.halt_token.reveal().encode())

    def authenticate(self, client: str, header: str | None) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """None when `header` carries the token; otherwise the refusal to send: 429 while
        `client` (or everyone) is locked out — the token is not even compared — else 401,
        counted. Logged with the address and the count, never with what was sent."""
        lockout = self.throttle.locked_out(client)
        if lockout is not None:
            who = "everyone (too many failed attempts overall)" if lockout.everyone else "this address"
            return (
                429,
                {
                    "error": "too_many_attempts",
                    "message": f"too many failed attempts: halt is refused for {who}; retry in {lockout.retry_after} s",
                },
                {"Retry-After": str(lockout.retry_after)},
            )
        if self.authorised(header):
            self.throttle.succeeded(client)
            return None
        count, started = self.throttle.failed(client)
        log.warning(
            "halt refused: missing or wrong token",
            extra={"event": "halt_unauthorised", "client": client, "failures_in_window": count},
        )
        if started is not None:
            log.error(
                "halt locked out after repeated wrong tokens",
                extra={
                    "event": "halt_locked_out",
                    "client": "*" if started.everyone else client,
                    "seconds": started.retry_after,
                },
            )
        return (
            401,
            {"error": "unauthorised", "message": "a valid bearer token is required"},
            {"WWW-Authenticate": "Bearer"},
        )

    def halt(self, body: Any) -> tuple[int, dict[str, Any]]:
        """A halt request that passed authentication: validate, carry out, re-poll at once."""
        if not isinstance(body, dict) or set(body) - {"environment", "reason"}:
            return 400, {"error": "bad_request", "message": 'body must be {"environment": ..., "reason": ...}'}
        name, reason = body.get("environment"), body.get("reason")
        if not isinstance(name, str) or name not in self.source.environments():
            return 404, {"error": "unknown_environment", "message": "no such environment on this page"}
        if (
            not isinstance(reason, str)
            or not reason.strip()
            or len(reason) > MAX_REASON
            or any(ord(c) < 32 for c in reason)
        ):
            return 400, {
                "error": "bad_reason",
                "message": f"a halt needs a reason: one line of at most {MAX_REASON} characters",
            }
        try:
            message = self.source.halt(name, redact(reason.strip()), "status page")  # a pasted secret is never stored
        except QMError as error:
            return 409, {"error": "refused", "message": str(error).splitlines()[0]}
        log.warning(
            "operator halt from the status page", extra={"environment": name, "event": "halt", "reason": reason}
        )
        self._wake.set()
        return 200, {"message": message}


class StatusServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: StatusApp) -> None:
        super().__init__(address, Handler)
        self.app = app
        self.loopback_only = address[0] in ("127.0.0.1", "::1", "localhost")


class Handler(BaseHTTPRequestHandler):
    server: StatusServer
    protocol_version = "HTTP/1.1"
    timeout = 15
    server_version = "qm-status"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK wait on keep-alive
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """No access log on stderr (the structured log says what matters)."""

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            **(extra or {}),
        }.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, document: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(inert(document)).encode(), "application/json", extra)

    def _host_ok(self) -> bool:
        """Bound to loopback: a Host that is not loopback is a DNS-rebinding page; refuse it."""
        return not self.server.loopback_only or host_name(self.headers.get("Host", "")) in LOOPBACK_HOSTS

    def do_GET(self) -> None:
        if not self._host_ok():
            return self._json(421, {"error": "host", "message": "this server answers loopback names only"})
        path = urlsplit(self.path).path
        app = self.server.app
        if path == "/":
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        elif path == "/app.js":
            self._send(200, SCRIPT.encode(), "text/javascript; charset=utf-8")
        elif path == "/app.css":
            self._send(200, CSS.encode(), "text/css; charset=utf-8")
        elif path == "/api/status":
            self._json(200, app.snapshot())
        elif path == "/metrics":
            self._send(200, app.metrics.exposition(), CONTENT_TYPE)
        else:
            self._json(404, {"error": "not_found", "message": "no such page"})

    def do_POST(self) -> None:
        if not self._host_ok():
            return self._json(421, {"error": "host", "message": "this server answers loopback names only"})
        app = self.server.app
        if urlsplit(self.path).path != "/api/halt":
            return self._json(405, {"error": "read_only", "message": "this page is read-only"}, {"Allow": "GET"})
        if app.halt_token is None:
            return self._json(
                403, {"error": "halt_disabled", "message": "halt is not enabled on this server (no token configured)"}
            )
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != self.headers.get("Host"):
            return self._json(403, {"error": "origin", "message": "cross-origin requests are refused"})
        refusal = app.authenticate(self.client_address[0], self.headers.get("Authorization"))
        if refusal is not None:
            return self._json(*refusal)
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self._json(415, {"error": "content_type", "message": "send application/json"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._json(411, {"error": "length", "message": "Content-Length required"})
        if not 0 <= length <= MAX_BODY:
            return self._json(413, {"error": "too_large", "message": f"at most {MAX_BODY} bytes"})
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._json(400, {"error": "bad_json", "message": "the body is not JSON"})
        status, answer = app.halt(body)
        self._json(status, answer)

    def do_PUT(self) -> None:
        self._json(405, {"error": "read_only", "message": "this page is read-only"}, {"Allow": "GET"})

    do_DELETE = do_PATCH = do_PUT


def make_status_server(app: StatusApp, bind: str = "127.0.0.1", port: int = 0) -> StatusServer:
    """A bound server (port 0: a free one, see `server.server_address`); run `serve_forever()`
    in a thread, `shutdown()` and `server_close()` to stop. The app's poller is the caller's."""
    return StatusServer((bind, port), app)


def serve_in_background(
    app: StatusApp, bind: str = "127.0.0.1", port: int = 0
) -> tuple[StatusServer, threading.Thread]:
    """Start the poller and the server in daemon threads (the reconcile loop's entry point)."""
    app.start()
    server = make_status_server(app, bind, port)
    thread = threading.Thread(target=server.serve_forever, name="qm-status-server", daemon=True)
    thread.start()
    return server, thread


def stop_serving(app: StatusApp, server: StatusServer) -> None:
    server.shutdown()
    server.server_close()
    app.stop()
