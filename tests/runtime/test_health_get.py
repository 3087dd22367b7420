"""The standard-library health GET (runtime/drivers/health_get.py) against a real HTTP server
on a free loopback port: the status and JSON body as sent, and every failure a named kind."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from quantmatrix.runtime.drivers.health_get import MAX_BODY, HealthUnreachable, get_health

BODIES = {
    "/health": (200, b'{"status": "healthy", "version": "1.2.3"}'),
    "/down": (503, b'{"status": "degraded", "message": "db"}'),
    "/text": (200, b"OK"),
    "/list": (200, b"[1, 2]"),
    "/huge": (200, b'{"pad": "' + b"x" * MAX_BODY + b'"}'),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        code, body = BODIES.get(self.path, (404, b"{}"))
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_status_and_the_json_object_as_sent(base: str) -> None:
    assert get_health(f"{base}/health") == (200, {"status": "healthy", "version": "1.2.3"})
    assert get_health(f"{base}/down") == (503, {"status": "degraded", "message": "db"})


@pytest.mark.parametrize("path", ["/text", "/list", "/huge"])
def test_a_body_that_is_not_one_json_object_reads_as_empty(base: str, path: str) -> None:
    assert get_health(f"{base}{path}") == (200, {})


def test_no_answer_is_a_named_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(HealthUnreachable) as refused:
            get_health(f"http://127.0.0.1:{port}/health")
    assert refused.value.kind == "ConnectionRefusedError"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/health", "http:///health", "http://127.0.0.1:99999/health"])
def test_a_url_that_is_not_http_is_refused_before_connecting(url: str) -> None:
    with pytest.raises(HealthUnreachable) as refused:
        get_health(url)
    assert refused.value.kind == "InvalidURL"
