"""Fixtures for tests that run real sandbox processes against real Redis.

Imported by tests/sandbox/conftest.py and by tests/runtime/test_checks*.py (which put this
folder on sys.path: the suite uses importlib mode). Every process is started with --port 0
(a free port it reports) and stopped by pid in a finalizer, whatever the outcome; every
platform's or test's control keys live under their own prefix and are deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import httpx
import pytest
import redis

from quantmatrix.model import Environment
from quantmatrix.runtime.control import (
    ControlPlane,
    ControlState,
    TradingState,
    control_from_environment,
    redis_control,
)
from quantmatrix.sandbox.launch import Launched, launch_platform, stop_all
from quantmatrix.state import DesiredState

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("QM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RELEASE = "2026.11.1"


@cache
def _sample() -> DesiredState:
    from quantmatrix.repo.loader import load

    return load(str(ROOT))


def sample_environment(name: str) -> Environment:
    """An environment of the sample repository, as the reconciler would see it."""
    return _sample().environments[name]


def release_versions(name: str) -> dict[str, str]:
    """api/workers/ui → the version the environment's release pins."""
    state = _sample()
    return dict(state.releases[state.environments[name].spec.release].spec.components.model_dump())


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"REDIS NOT AVAILABLE at 127.0.0.1:6379 ({type(error).__name__}): sandbox control-key tests not run"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — and CI=true, where a missing service is a failure")
        pytest.skip(reason)
    return client


@dataclass
class Control:
    """One test's control keys: a fresh prefix, the plane over it, and helpers."""

    client: redis.Redis
    prefix: str
    plane: ControlPlane

    def publish(
        self, environment: Environment, trading: TradingState = TradingState.ACTIVE, **changes: object
    ) -> ControlState:
        state = control_from_environment(
            environment, trading=trading, reason="test", changed_by="tests", now=datetime.now(UTC)
        )
        if changes:  # validated, as a real writer's would be
            state = ControlState.model_validate({**state.model_dump(), **changes})
        return self.plane.write(state)

    def wipe(self) -> None:
        keys = list(self.client.scan_iter(match=f"{self.prefix}*"))
        if keys:
            self.client.delete(*keys)


def new_control(client: redis.Redis) -> Control:
    prefix = f"qm:test:{uuid.uuid4().hex[:12]}:"
    return Control(client, prefix, redis_control(client, prefix))


@dataclass
class Platform:
    """A running sandbox (api, workers, ui processes) and the control keys it obeys."""

    environment: Environment
    control: Control
    processes: dict[str, Launched]
    versions: dict[str, str]  # what each component runs (the release's pins)

    @property
    def api(self) -> str:
        return self.processes["api"].url

    @property
    def ui(self) -> str:
        return self.processes["ui"].url

    @property
    def workers(self) -> str:
        return self.processes["workers"].url

    def reset(self) -> None:
        """Fresh state between tests: no faults, an empty book, the desired control state."""
        with httpx.Client(timeout=5) as client:
            for launched in self.processes.values():
                client.post(f"{launched.url}/_sandbox/reset", json={}).raise_for_status()
        self.control.publish(self.environment)


def start_platform(environment_name: str) -> Iterator[Platform]:
    """Generator for a fixture: the platform of a sample environment at its release's
    component versions, stopped at the end."""
    client = redis_or_skip()
    versions = release_versions(environment_name)
    environment = sample_environment(environment_name)
    control = new_control(client)
    control.publish(environment)
    processes: dict[str, Launched] = {}
    try:
        processes = launch_platform(
            versions,
            environment.spec.mode.value,
            "--prefix",
            control.prefix,
            "--banner",
            environment.spec.ui.banner,
            env={"QM_SANDBOX_REDIS_URL": REDIS_URL},
        )
        yield Platform(environment, control, processes, versions)
    finally:
        stop_all([launched.process for launched in processes.values()])
        control.wipe()
        client.close()


_SHARED: dict[str, Platform] = {}


def shared_platform(config: pytest.Config, name: str) -> Platform:
    """One platform per environment for the whole run (starting three processes costs
    seconds on a busy machine), shared by tests/sandbox and tests/runtime, which reset it
    before use. It is stopped when the session ends (`config.add_cleanup`), whatever the outcome."""
    if name not in _SHARED:
        running = start_platform(name)
        _SHARED[name] = next(running)

        def finish() -> None:
            _SHARED.pop(name, None)
            next(running, None)  # runs start_platform's finally: stop by pid, delete the keys

        config.add_cleanup(finish)
    return _SHARED[name]


@pytest.fixture
def paper_platform(request: pytest.FixtureRequest) -> Platform:
    return shared_platform(request.config, "paper")


@pytest.fixture
def local_platform(request: pytest.FixtureRequest) -> Platform:
    return shared_platform(request.config, "local")


@pytest.fixture
def control() -> Iterator[Control]:
    """Control keys of one test (for tests that start their own processes)."""
    client = redis_or_skip()
    made = new_control(client)
    try:
        yield made
    finally:
        made.wipe()
        client.close()
