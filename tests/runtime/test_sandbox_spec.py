"""What the sandbox gets for each environment: its control state's location, URLs only in its
environment, secrets resolved with the scope check."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantmatrix.repo.loader import load
from quantmatrix.runtime.drivers import DriverRefused
from quantmatrix.runtime.drivers.sandbox import sandbox_spec
from quantmatrix.runtime.secrets import SecretMissing, SecretRefused

ROOT = Path(__file__).resolve().parents[2]
STATE = load(ROOT)


def test_local_on_the_embedded_default_reads_its_sqlite_store(tmp_path: Path) -> None:
    spec = sandbox_spec(STATE.environments["local"], STATE.catalog, config_version="abc123", repo=tmp_path, environ={})
    assert spec.env == {"QM_SANDBOX_STORE_URL": f"sqlite:///{tmp_path.resolve()}/.qm/local/state.db"}
    assert spec.secrets == {} and spec.args == ("--environment", "local") and spec.config_version == "abc123"


def test_an_environment_that_requires_redis_reads_redis_through_a_resolved_secret(tmp_path: Path) -> None:
    environ = {"QM_PAPER_REDIS_URL": "redis://:pw-paper@127.0.0.1:6379/0"}
    spec = sandbox_spec(STATE.environments["paper"], STATE.catalog, config_version="h", repo=tmp_path, environ=environ)
    assert spec.args == ("--prefix", "qm:paper:") and spec.env == {}
    assert spec.secrets["QM_SANDBOX_REDIS_URL"].reveal() == environ["QM_PAPER_REDIS_URL"]
    with pytest.raises(SecretMissing, match="export QM_PAPER_REDIS_URL"):
        sandbox_spec(STATE.environments["paper"], STATE.catalog, config_version="h", repo=tmp_path, environ={})


def test_a_store_url_of_another_scope_is_refused_at_run_time(tmp_path: Path) -> None:
    # the gate would deny it (QM-SEP-001); the resolver refuses it anyway
    backtest = STATE.environments["backtest"]
    stolen = backtest.model_copy(
        update={
            "spec": backtest.spec.model_copy(
                update={
                    "runtime": backtest.spec.runtime.model_copy(
                        update={
                            "store": backtest.spec.runtime.store.model_copy(
                                update={"url": STATE.environments["live"].spec.runtime.store.url}
                            )
                        }
                    )
                }
            )
        }
    )
    with pytest.raises(SecretRefused, match="QM_LIVE_POSTGRES_URL is scoped to live, not backtest"):
        sandbox_spec(
            stolen,
            STATE.catalog,
            config_version="h",
            repo=tmp_path,
            environ={"QM_LIVE_POSTGRES_URL": "postgresql://x:y@db/live"},
        )


def test_redis_required_without_a_prefix_is_refused(tmp_path: Path) -> None:
    paper = STATE.environments["paper"]
    no_prefix = paper.model_copy(
        update={
            "spec": paper.spec.model_copy(update={"redis": paper.spec.redis.model_copy(update={"key_prefix": None})})
        }
    )
    with pytest.raises(DriverRefused, match="needs redis.url and redis.key_prefix"):
        sandbox_spec(no_prefix, STATE.catalog, config_version="h", repo=tmp_path, environ={})
