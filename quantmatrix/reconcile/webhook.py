"""`POST /hooks/git`: a push notification that triggers an immediate pass.

Signed like GitHub's webhooks: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`
with a shared secret, compared in constant time. No secret, no endpoint (fail closed). The
server listens on loopback only (put a proxy in front to expose it); bodies over 1 MiB are
refused unread; nothing of the secret or the signature is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from quantmatrix.runtime.secrets import SecretValue

PATH = "/hooks/git"
MAX_BODY = 1 << 20
log = logging.getLogger("quantmatrix.reconcile")


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def valid(secret: bytes, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(
        signature(secret, body).encode(), header.strip().encode("utf-8", "replace")
    )


class WebhookServer:
    """Runs on its own thread; `trigger()` is called for each correctly signed push."""

    def __init__(self, host: str, port: int, secret: SecretValue, trigger: Callable[[], None]):
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the webhook listens on loopback only")
        key = secret.reveal().encode()
        if not key:
            raise ValueError("the webhook secret is empty")

        class Handler(BaseHTTPRequestHandler):
            server_version = "qm-reconcile"
            sys_version = ""

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
                log.debug("webhook %s", format % args)

            def _reply(self, code: int, text: str) -> None:
                body = (text + "\n").encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self._reply(405 if self.path == PATH else 404, "POST only" if self.path == PATH else "not found")

            def do_POST(self) -> None:  # noqa: N802
                if self.path != PATH:
                    return self._reply(404, "not found")
                try:
                    length = int(self.headers.get("Content-Length", ""))
                except ValueError:
                    return self._reply(411, "Content-Length required")
                if length < 0 or length > MAX_BODY:
                    return self._reply(413, "body too large")
                body = self.rfile.read(length)
                if not valid(key, body, self.headers.get("X-Hub-Signature-256")):
                    log.warning("webhook: refused a request with a missing or wrong signature")
                    return self._reply(401, "bad signature")
                trigger()
                return self._reply(202, "pass triggered")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="webhook", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
