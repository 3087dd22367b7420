"""One health GET over the standard library (http.client), for the process driver's probe and
the in-sync fast path of `qm apply`: importing httpx (and the trio it pulls in) cost ~0.2 s of
a no-op apply, for three GETs on loopback. No proxy from the environment, one timeout, the
body read up to a limit and parsed as JSON."""

from __future__ import annotations

import functools
import http.client
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024


class HealthUnreachable(Exception):
    """No HTTP answer: `kind` names why (ConnectionRefusedError, TimeoutError, BadStatusLine...)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def get_health(url: str, timeout: float = 1.0) -> tuple[int, dict[str, Any]]:
    """(status code, the JSON object of the body, {} when it is not one) of GET `url`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise HealthUnreachable("InvalidURL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HealthUnreachable("InvalidURL")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, port, timeout=timeout, context=_tls_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    try:
        connection.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        raw = response.read(MAX_BODY + 1)
    except (OSError, http.client.HTTPException) as error:
        raise HealthUnreachable(type(error).__name__) from None
    finally:
        connection.close()
    try:
        body = json.loads(raw) if len(raw) <= MAX_BODY else None
    except ValueError:
        body = None
    return response.status, body if isinstance(body, dict) else {}


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every probe (loading the CA bundle costs ~60 ms)."""
    return ssl.create_default_context()
