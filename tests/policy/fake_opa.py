"""A stand-in for a real OPA server, for tests only: no OPA binary can be installed here.

It speaks the subset of OPA's REST API that `quantmatrix.policy.engines.opa` uses through
`opa-python-client` — `GET /health`, `GET/PUT/DELETE /v1/policies/{id}`, `PUT /v1/data/{path}`,
`POST /v1/data/{path}` — with OPA's status codes and error bodies, and evaluates by delegating
to regorus. It proves the client path (upload, data, query, error mapping) over real HTTP on
127.0.0.1; the real OPA server runs in the GitHub workflow as a service container.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import regorus

_WHERE = re.compile(r"-->\s*(.+?):(\d+):(\d+)")
_ERROR = re.compile(r"^error:\s*(.+)$", re.MULTILINE)


def _opa_error(text: str) -> dict[str, Any]:
    """regorus' error → one entry of OPA's `errors` list."""
    head = text.split("Stack backtrace:", 1)[0]
    where, message = _WHERE.search(head), _ERROR.search(head)
    error: dict[str, Any] = {"code": "rego_parse_error", "message": message.group(1) if message else head.strip()}
    if where:
        error["location"] = {"file": where.group(1), "row": int(where.group(2)), "col": int(where.group(3))}
    return error


class FakeOpa:
    """Policies and data held in memory; every query compiles a fresh regorus engine."""

    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) seen, for assertions
        self.lock = threading.Lock()

    def compile(self, policies: dict[str, str]) -> regorus.Engine:
        engine = regorus.Engine()
        for policy_id, text in policies.items():
            engine.add_policy(policy_id, text)  # the id is the file name OPA reports
        engine.add_data_json(json.dumps(self.data))
        return engine

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        self.requests.append((method, path))
        if path == "/health":
            return 200, {}
        if path == "/v1/policies" and method == "GET":  # OPA's router: no trailing slash
            return 200, {"result": [{"id": i, "raw": t} for i, t in sorted(self.policies.items())]}
        if path == "/v1/policies/":
            return 405, {"code": "method_not_allowed", "message": "method not allowed"}
        if path.startswith("/v1/policies/"):
            return self.policy(method, unquote(path[len("/v1/policies/") :]), body)
        if path.startswith("/v1/data"):
            return self.document(method, [p for p in path[len("/v1/data") :].split("/") if p], body)
        return 404, {"code": "resource_not_found", "message": f"{path} not found"}

    def policy(self, method: str, policy_id: str, body: bytes) -> tuple[int, Any]:
        if method == "GET":
            if policy_id not in self.policies:
                return 404, {
                    "code": "resource_not_found",
                    "message": f"storage_not_found_error: policy id {policy_id!r}",
                }
            return 200, {"result": {"id": policy_id, "raw": self.policies[policy_id]}}
        if method == "DELETE":
            if self.policies.pop(policy_id, None) is None:
                return 404, {
                    "code": "resource_not_found",
                    "message": f"storage_not_found_error: policy id {policy_id!r}",
                }
            return 200, {}
        if method == "PUT":
            candidate = {**self.policies, policy_id: body.decode("utf-8")}
            try:
                self.compile({policy_id: candidate[policy_id]})
            except RuntimeError as error:
                return 400, {
                    "code": "invalid_parameter",
                    "message": "error(s) occurred while compiling module(s)",
                    "errors": [_opa_error(str(error))],
                }
            self.policies = candidate
            return 200, {}
        return 405, {"code": "method_not_allowed", "message": method}

    def document(self, method: str, parts: list[str], body: bytes) -> tuple[int, Any]:
        if method == "PUT":
            node = self.data
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = json.loads(body)
            return 204, None
        if method == "POST":
            payload = json.loads(body or b"{}")
            try:
                engine = self.compile(self.policies)
                if "input" in payload:
                    engine.set_input_json(json.dumps(payload["input"]))
                answer = json.loads(engine.eval_query_as_json(".".join(["data", *parts])))
            except RuntimeError as error:
                return 500, {"code": "internal_error", "message": str(error).split("Stack backtrace:", 1)[0].strip()}
            results = answer.get("result") or []
            return 200, ({"result": results[0]["expressions"][0]["value"]} if results else {})
        return 405, {"code": "method_not_allowed", "message": method}


def _handler(opa: FakeOpa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with opa.lock:
                status, payload = opa.handle(self.command, urlsplit(self.path).path, body)
            raw = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            if raw:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_PUT = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    return Handler


class FakeOpaServer:
    """`with FakeOpaServer() as server:` → `server.url`, on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.opa = FakeOpa()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.opa))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeOpaServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
