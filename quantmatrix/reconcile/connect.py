"""Open an environment's running system: its state store, control plane and driver.

Secrets (the store's and Redis's URLs) are resolved here through the catalog, scoped to the
environment's mode, and leave their `SecretValue` only to open a connection or to enter a
child process's environment. Local on the embedded default: SQLite under the repository's
`.qm/`, no Redis, the sandbox through the process driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model.environment import Environment
from quantmatrix.model.release import Release
from quantmatrix.model.secrets import SecretCatalog
from quantmatrix.repo.lookup import environment_named
from quantmatrix.runtime.control import ControlPlane, config_version, redis_control, store_control
from quantmatrix.runtime.drivers import DeploySpec, Driver, DriverContext, driver_for
from quantmatrix.runtime.drivers.sandbox import sandbox_spec
from quantmatrix.runtime.secrets import SecretValue, resolve_secret
from quantmatrix.runtime.store import Store, open_store
from quantmatrix.state import DesiredState


@dataclass
class Connected:
    """Everything an apply, a plan or a status needs of one environment."""

    name: str
    environment: Environment
    release: Release
    root: Path
    driver: Driver
    store: Store | None  # None: a local store that does not exist yet (nothing ever ran)
    control: ControlPlane | None
    store_secret: SecretValue | None = None
    redis_secret: SecretValue | None = None
    catalog: SecretCatalog | None = None
    _redis: Any = field(default=None, repr=False)

    @property
    def config_version(self) -> str:
        return config_version(self.environment)

    @property
    def lock_target(self) -> Path | str:
        """PostgreSQL's advisory lock for a PostgreSQL store, a file lock under `.qm/` otherwise."""
        if self.store is not None and self.store.dialect == "postgresql" and self.store_secret is not None:
            return self.store_secret.reveal()
        return self.root

    def deploy_spec(self) -> DeploySpec:
        """The sandbox's spec (runtime.drivers.sandbox: where it reads its control state, URLs
        only in its environment), plus the banner the environment's UI must show."""
        spec = sandbox_spec(self.environment, self.catalog, config_version=self.config_version, repo=self.root)
        return replace(spec, args=(*spec.args, "--banner", self.environment.spec.ui.banner))

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
        if self.store is not None:
            self.store.close()


def environment_of(state: DesiredState, name: str) -> tuple[Environment, Release]:
    environment = environment_named(state, name)
    release = state.releases.get(environment.spec.release)
    if release is None:
        raise ConfigError(
            Problem(
                f"environments/{name}.yaml", message=f"release {environment.spec.release} has no manifest in releases/"
            )
        )
    return environment, release


def _secret(state: DesiredState, name: str, environment: Environment) -> SecretValue:
    if state.catalog is None:
        raise ConfigError(Problem("environments/secrets.yaml", message=f"no secret catalog: cannot resolve {name}"))
    return resolve_secret(state.catalog, name, mode=environment.spec.mode)


def connect(state: DesiredState, name: str, root: str | Path, *, create: bool = True) -> Connected:
    """Open `name`'s store (creating a local SQLite one only with `create`), control plane and driver."""
    environment, release = environment_of(state, name)
    spec = environment.spec
    root = Path(root).resolve()
    driver = driver_for(DriverContext(name, spec.mode, spec.runtime, root / ".qm"))
    store_secret: SecretValue | None
    if spec.runtime.store.url is not None:
        store_secret = _secret(state, spec.runtime.store.url.secret, environment)
        store: Store | None = open_store(store_secret.reveal())
    else:
        sqlite_file = root / (spec.runtime.store.sqlite_file(name) or f".qm/{name}/state.db")
        store_secret = SecretValue(
            "QM_SANDBOX_STORE_URL", f"sqlite:///{sqlite_file}"
        )  # a path, kept as a value that never prints anyway
        store = open_store(store_secret.reveal()) if create or sqlite_file.exists() else None
    connected = Connected(name, environment, release, root, driver, store, None, store_secret, catalog=state.catalog)
    if spec.redis.required and spec.redis.url is not None:
        import redis

        connected.redis_secret = _secret(state, spec.redis.url.secret, environment)
        try:
            connected._redis = redis.Redis.from_url(
                connected.redis_secret.reveal(), socket_timeout=2.0, socket_connect_timeout=2.0
            )
        except ValueError:
            raise ConfigError(
                Problem(subject="redis", message=f"secret {spec.redis.url.secret} is not a Redis URL")
            ) from None
        prefix = spec.redis.key_prefix or f"qm:{name}:"
        connected.control = (
            redis_control(connected._redis, prefix, store, name)
            if store is not None
            else redis_control(connected._redis, prefix)
        )
    elif store is not None:
        connected.control = store_control(store, name)
    return connected
