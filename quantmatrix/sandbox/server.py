"""The HTTP plumbing: the standard library's `ThreadingHTTPServer`, bound to 127.0.0.1.

Why the standard library: no dependency, ~0.1 s to start (tests start many processes), a
thread per request is plenty for a stand-in, and the code that matters (routes, admission,
health) stays plain functions. Requests whose Host is not a loopback name are refused (a
web page cannot reach the admin routes through DNS rebinding), POST bodies must be JSON of
at most 64 KiB, and SIGTERM shuts the server down cleanly (exit 0).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from quantmatrix.errors import ConfigError, ExitCode, Problem, QMError
from quantmatrix.sandbox.routes import PREFIX_ROUTES, ROUTES, SCREEN_OF, Reply, crash_after
from quantmatrix.sandbox.state import LOOPBACK_HOSTS, Sandbox

MAX_BODY = 64 * 1024
BIND = "127.0.0.1"


class SandboxRefused(QMError):
    """The sandbox will not start (e.g. the control state is for another mode)."""

    exit_code = ExitCode.VIOLATIONS


def host_name(header: str) -> str:
    """The host part of a Host header ("127.0.0.1:8000" → "127.0.0.1", "[::1]:80" → "[::1]")."""
    if header.startswith("["):
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0]


class Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    timeout = 15  # seconds an idle or trickling connection may hold its thread
    # headers and body go out in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK of the headers (40 ms) on a kept-alive connection
    disable_nagle_algorithm = True
    server_version = "qm-sandbox"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        """No access log: the sandbox writes nothing it was not asked to."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            self._route(method)
        except Exception as error:  # one bad request never takes the process down or prints a traceback
            self.close_connection = True
            try:
                self._send(
                    Reply(
                        500,
                        {
                            "error": "internal",
                            "message": f"the sandbox failed on this request ({type(error).__name__})",
                        },
                    )
                )
            except OSError:
                pass

    def _route(self, method: str) -> None:
        sandbox = self.server.sandbox
        path = urlsplit(self.path).path
        if host_name(self.headers.get("Host") or "") not in LOOPBACK_HOSTS:
            self._send(Reply(421, {"error": "bad_host", "message": "the sandbox answers only to a loopback Host"}))
            return
        body: Any = None
        if method == "POST":
            parsed = self._read_json()
            if isinstance(parsed, Reply):
                self._send(parsed)
                return
            body = parsed
        elif (self.headers.get("Content-Length") or "0").strip() != "0" or self.headers.get("Transfer-Encoding"):
            self._send(Reply(400, {"error": "bad_request", "message": "this method takes no body"}))
            return
        admin = path.startswith("/_sandbox/")
        delay = sandbox.faults.get("slow")
        if delay and not admin:
            time.sleep(float(delay))
        component = sandbox.config.component
        route = ROUTES[component].get((method, path))
        arg = ""
        if route is None:
            for (m, prefix), candidate in PREFIX_ROUTES[component].items():
                if m == method and path.startswith(prefix) and len(path) > len(prefix):
                    route, arg = candidate, path[len(prefix) :]
        if route is None:
            known = any(p == path for _, p in ROUTES[component])
            self._send(
                Reply(
                    405 if known else 404,
                    {"error": "not_found", "message": f"no {method} {path[:100]} on the {component} component"},
                )
            )
            return
        screen = SCREEN_OF.get(path)
        if screen is not None and sandbox.faults.get("broken_screen") == screen:
            self._send(Reply(500, {"error": "internal", "message": f"injected fault: the {screen} screen is broken"}))
            return
        self._send(route(sandbox, body, arg))

    def _read_json(self) -> Any:
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return Reply(415, {"error": "bad_request", "message": "POST bodies must be application/json"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return Reply(400, {"error": "bad_request", "message": "bad Content-Length"})
        if length < 0:
            return Reply(400, {"error": "bad_request", "message": "bad Content-Length"})
        if length > MAX_BODY:
            self.close_connection = True
            return Reply(413, {"error": "too_large", "message": f"bodies are at most {MAX_BODY} bytes"})
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            return Reply(400, {"error": "bad_json", "message": "the body is not JSON"})

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, str):
            data, kind = reply.body.encode(), "text/html; charset=utf-8"
        else:
            data, kind = json.dumps(reply.body).encode(), "application/json"
        self.send_response(reply.status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        if reply.after is not None:
            reply.after()


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a fixed-port upgrade rebinds the port of the process it just stopped (TIME_WAIT); a live listener still refuses
    # the checks open ~20 connections at once: with the default backlog of 5 the kernel drops
    # SYNs and clients retry after 1 s (measured: p95 1.1 s → see bench/README.md)
    request_queue_size = 128

    def __init__(self, sandbox: Sandbox, port: int) -> None:
        self.sandbox = sandbox
        super().__init__((BIND, port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke (client gone, timeout): nothing to report, nothing printed."""


def _wait_for_eof(then: Callable[[], None]) -> None:
    while os.read(sys.stdin.fileno(), 4096):
        pass
    then()


def check_start(sandbox: Sandbox) -> str:
    """Refuse to start in a mode other than the control state's; say when there is no state
    (the process starts, but does not trade until it can read one). Returns a notice or ""."""
    if not sandbox.trades and sandbox.reader is None:
        return ""
    control = sandbox.control()
    if control.state is None:
        return f"warning: {control.problem}; not trading until it can be read"
    if control.mode != sandbox.config.mode:
        raise SandboxRefused(
            Problem(
                subject="sandbox",
                message=(
                    f"refusing to start the {sandbox.config.component} in mode '{sandbox.config.mode}': "
                    f"the control state says mode '{control.mode}'"
                ),
            )
        )
    return ""


def serve(sandbox: Sandbox, port: int, start_faults: list[str], *, exit_with_stdin: bool = False) -> None:
    """Bind, print the URL on stdout, serve until SIGTERM/SIGINT (or, with `exit_with_stdin`,
    until stdin reaches its end: the parent holding the pipe died, even by SIGKILL)."""
    for fault in start_faults:
        try:
            sandbox.faults.add(fault)
        except ValueError as error:
            raise ConfigError(Problem(subject="--fault", message=str(error))) from None
    notice = check_start(sandbox)
    try:
        server = SandboxServer(sandbox, port)
    except OSError as error:
        raise ConfigError(
            Problem(subject="--port", message=f"cannot listen on {BIND}:{port}: {error.strerror or error}")
        ) from None
    stop = threading.Event()

    def _terminate(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    if exit_with_stdin:
        threading.Thread(target=_wait_for_eof, args=(lambda: _terminate(0, None),), daemon=True).start()
    if notice:
        print(notice, file=sys.stderr, flush=True)
    config = sandbox.config
    print(
        f"qm sandbox {config.component} {config.version} ({config.mode}) listening on http://{BIND}:{server.server_address[1]}",
        flush=True,
    )
    crash = sandbox.faults.get("crash")
    if crash is not None:
        crash_after(float(crash))
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
