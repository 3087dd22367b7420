"""The shared service fixtures skip loudly without their service, and fail under CI=true."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NEEDS_SERVICES = """
def test_pg(pg_url):
    pass

def test_redis(redis_prefix):
    pass
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("ci", "outcome", "code"), [("", "2 skipped", 0), ("true", "2 errors", 1)])
def test_a_missing_service(tmp_path: Path, ci: str, outcome: str, code: int) -> None:
    (tmp_path / "conftest.py").write_text(f"exec(open({str(ROOT / 'tests' / 'conftest.py')!r}).read())\n")
    (tmp_path / "test_needs.py").write_text(NEEDS_SERVICES)
    port = _closed_port()
    env = {
        **os.environ,
        "CI": ci,
        "QM_TEST_POSTGRES_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        "QM_TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsE", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome in done.stdout and done.returncode == code, done.stdout + done.stderr
    assert "SERVICE MISSING: PostgreSQL is not reachable" in done.stdout
    assert "SERVICE MISSING: Redis is not reachable" in done.stdout
