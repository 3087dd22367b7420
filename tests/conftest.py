"""Fixtures shared by the desired-state tests (tests/model, tests/repo, tests/cli).

`qm` (run the CLI in-process) serves every test folder; `repo` fixtures are per folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "QM Test",
    "GIT_AUTHOR_EMAIL": "qm-test@example.invalid",
    "GIT_COMMITTER_NAME": "QM Test",
    "GIT_COMMITTER_EMAIL": "qm-test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass
class QmResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A private copy of the sample repository (environments/, releases/, migrations/) to break at will."""
    repo = tmp_path / "repo"
    for folder in ("environments", "releases", "migrations"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return repo


@pytest.fixture
def qm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `qm ARGS...` in-process through the real CLI edge (exit codes, error rendering);
    returns (exit code, stdout, stderr)."""
    from quantmatrix.cli import cli
    from quantmatrix.cli.edge import run

    def invoke(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(cli, [str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def run_qm(qm: Callable[..., tuple[int, str, str]]) -> Callable[..., QmResult]:
    """`qm`, with the result as a `QmResult`."""
    return lambda *args: QmResult(*qm(*args))


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def git() -> Callable[..., str]:
    """`git(repo, *args)`: run git with a fixed identity and no user or system configuration."""
    return _git


@pytest.fixture
def git_repo(sample_repo: Path) -> Path:
    """The sample repository as a real git repository with one commit on `main`."""
    _git(sample_repo, "init", "-q", "-b", "main")
    _git(sample_repo, "add", "environments", "releases", "migrations")
    _git(sample_repo, "commit", "-q", "-m", "sample")
    return sample_repo


def _line_in(file: Path, text: str) -> int:
    content = file.read_bytes().decode("utf-8", "replace")
    assert content.count(text) == 1, f"{text!r} occurs {content.count(text)} times in {file}"
    return content[: content.index(text)].count("\n") + 1


@pytest.fixture
def line_in() -> Callable[[Path, str], int]:
    """`line_in(file, text)`: 1-based line of the only occurrence of `text` in `file`."""
    return _line_in


# --- Services: real PostgreSQL and Redis, isolated per test ----------------------------------
# `pg_url`: a fresh database on the server (dropped after the test); `redis_prefix`: a client and
# a unique key prefix (its keys deleted after). Without the service the test skips with a loud
# reason; with CI=true a missing service fails instead. Servers: QM_TEST_POSTGRES_URL (default
# postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and QM_TEST_REDIS_URL (redis://127.0.0.1:6379/0).

PG_SERVER = os.environ.get("QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER = os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_missing(what: str, why: str) -> None:
    """Skip loudly, or fail when CI=true: CI must never silently skip the service tests."""
    message = f"SERVICE MISSING: {what} is not reachable ({why}); the tests that need it did not run"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — CI=true, so this is a failure")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_admin() -> object:
    """An autocommit engine on the PostgreSQL server (to create and drop test databases)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        engine.dispose()
        service_missing("PostgreSQL", type(error).__name__)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: object) -> object:
    """URL of a fresh, empty database `qm_test_<random>`, dropped (with its connections) after."""
    import secrets

    from sqlalchemy import Engine, text
    from sqlalchemy.engine import make_url

    assert isinstance(pg_admin, Engine)
    name = f"qm_test_{secrets.token_hex(6)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The embedded default: a SQLite file under `.qm/` (the folder does not exist yet)."""
    return f"sqlite:///{tmp_path}/.qm/state.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Each backend in turn: the same test runs on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@dataclass
class RedisPrefix:
    client: object  # redis.Redis
    prefix: str
    url: str


@pytest.fixture(scope="session")
def redis_server() -> object:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    probe = redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=3, retry=Retry(NoBackoff(), 0))
    try:
        probe.ping()
    except redis.RedisError as error:
        service_missing("Redis", type(error).__name__)
    finally:
        probe.close()
    client = redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=3, socket_timeout=5)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_server: object) -> object:
    """A client and a unique prefix `qmtest:<random>:`; every key under it is deleted after."""
    import secrets

    import redis

    assert isinstance(redis_server, redis.Redis)
    prefix = f"qmtest:{secrets.token_hex(6)}:"
    yield RedisPrefix(redis_server, prefix, REDIS_SERVER)
    keys = list(redis_server.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        redis_server.delete(*keys)
