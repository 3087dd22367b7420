"""What the sandbox platform needs to run for an environment: where to read its control state.

`qm sandbox serve` obeys the control state (trading ACTIVE/REDUCING/HALTED, mode, limits):
from Redis (`--prefix`, URL in QM_SANDBOX_REDIS_URL) when the environment requires Redis,
otherwise from the state store (`--environment`, URL in QM_SANDBOX_STORE_URL) — on the
embedded default, local's SQLite file under `.qm/`. URLs reach the sandbox through its
environment only; a secret URL is resolved here, with the resolver's scope check.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from quantmatrix.model.environment import Environment
from quantmatrix.model.secrets import SecretCatalog
from quantmatrix.runtime.drivers.base import DeploySpec, DriverRefused
from quantmatrix.runtime.secrets import SecretRefused, SecretValue, resolve_secret

REDIS_URL_VARIABLE = "QM_SANDBOX_REDIS_URL"
STORE_URL_VARIABLE = "QM_SANDBOX_STORE_URL"


def sandbox_spec(
    environment: Environment,
    catalog: SecretCatalog | None,
    *,
    config_version: str,
    repo: Path,
    environ: Mapping[str, str] | None = None,
) -> DeploySpec:
    """The DeploySpec of the sandbox's components for `environment` (repository root `repo`)."""
    spec, name = environment.spec, environment.metadata.name

    def secret(reference: str) -> SecretValue:
        if catalog is None:
            raise SecretRefused(reference, f"secret {reference}: there is no secret catalog to resolve it")
        return resolve_secret(catalog, reference, mode=spec.mode, environ=environ)

    if spec.redis.required:
        if spec.redis.url is None or not spec.redis.key_prefix:
            raise DriverRefused(f"environment {name} requires Redis: the sandbox needs redis.url and redis.key_prefix")
        return DeploySpec(
            config_version,
            secrets={REDIS_URL_VARIABLE: secret(spec.redis.url.secret)},
            args=("--prefix", spec.redis.key_prefix),
        )
    store = spec.runtime.store
    arguments = ("--environment", name)
    if store.url is not None:
        return DeploySpec(config_version, secrets={STORE_URL_VARIABLE: secret(store.url.secret)}, args=arguments)
    sqlite = store.sqlite_file(name)
    assert sqlite is not None  # no url: a SQLite file
    return DeploySpec(
        config_version, env={STORE_URL_VARIABLE: f"sqlite:///{(repo / sqlite).resolve()}"}, args=arguments
    )
