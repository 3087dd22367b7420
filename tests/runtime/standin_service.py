"""A stand-in service for the driver tests (a test fixture, not a mock): a real HTTP server on
a real port that reports its version at /health, like the sandbox does.

    python standin_service.py --version 1.2.0 --port 8123 [--report-version X] [--ignore-term]
        [--spawn-child FILE] [--secret-env NAME] [--fail-health] [--status S] [--message-env NAME]

--secret-env NAME: prints the sha256 of that environment variable (proof it arrived, without
printing it). --spawn-child FILE: starts a grandchild (sleep) and writes its pid to FILE.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--report-version")
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--spawn-child")
    parser.add_argument("--secret-env")
    parser.add_argument("--fail-health", action="store_true")
    parser.add_argument("--message-env", help="/health's message says 'using ' + this variable (a careless service)")
    parser.add_argument("--status", help="the status /health reports (healthy, progressing, degraded, missing)")
    args = parser.parse_args()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.spawn_child:
        child = subprocess.Popen(["sleep", "600"])
        with open(args.spawn_child, "w") as handle:
            handle.write(str(child.pid))
    if args.secret_env:
        digest = hashlib.sha256(os.environ.get(args.secret_env, "").encode()).hexdigest()
        print(f"secret {args.secret_env} sha256 {digest}", flush=True)
    reported = args.report_version or args.version

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            report = {"version": reported, "argv": sys.argv[1:]}
            if args.status:
                report["status"] = args.status
            if args.message_env:
                report["message"] = "using " + os.environ.get(args.message_env, "")
            body = json.dumps(report).encode()
            self.send_response(503 if args.fail_health else 200 if self.path == "/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on {args.port} as {args.version}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
