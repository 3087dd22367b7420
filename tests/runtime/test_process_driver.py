"""The process driver with a real stand-in service (tests/runtime/standin_service.py) on free
ports: start, health by HTTP, zero-gap upgrade, failed upgrade, graceful stop and kill, stale
pid files. Everything a test starts is stopped by pid in its finalizer."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quantmatrix.model.common import Mode
from quantmatrix.model.runtime import Runtime
from quantmatrix.runtime.drivers import DRIVERS, DeploySpec, DriverContext, DriverError, DriverRefused, procs
from quantmatrix.runtime.drivers.process import ProcessDriver

STANDIN = str(Path(__file__).parent / "standin_service.py")


def standin(*extra: str) -> list[str]:
    return [sys.executable, STANDIN, "--version", "{version}", "--port", "{port}", *extra]


@pytest.fixture
def make_driver(tmp_path: Path) -> Iterator[Callable[..., ProcessDriver]]:
    """`make_driver(command=[argv...], health_path=..., components_port=api's fixed port, **process settings)`; every driver's
    processes are stopped afterwards, whatever the outcome."""
    made: list[ProcessDriver] = []

    def make(
        command: list[str] | None = None,
        health_path: str | None = "/health",
        components_port: int | None = None,
        **settings: Any,
    ) -> ProcessDriver:
        component = {"command": command or standin(), "health_path": health_path}
        runtime = Runtime.model_validate(
            {
                "process": {
                    "components": {"api": {**component, "port": components_port}, "workers": component},
                    "start_timeout_seconds": 10,
                    "stop_timeout_seconds": 2,
                    **settings,
                }
            }
        )
        driver = DRIVERS["process"](DriverContext("local", Mode.local, runtime, tmp_path / ".qm"))
        assert isinstance(driver, ProcessDriver)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.stop_all()


def state_of(driver: ProcessDriver, component: str = "api") -> dict[str, Any]:
    return json.loads((driver.directory / f"{component}.json").read_text())


def test_deploy_runs_the_version_and_records_it(make_driver: Callable[..., ProcessDriver], tmp_path: Path) -> None:
    driver = make_driver()
    driver.deploy("api", "1.0.0", DeploySpec())
    seen = driver.observe("api")
    assert (seen.version, seen.health) == ("1.0.0", "healthy") and seen.pid and seen.endpoint
    assert httpx.get(f"{seen.endpoint}/health", trust_env=False).json()["version"] == "1.0.0"
    state = state_of(driver)
    assert state["pid"] == seen.pid and state["version"] == "1.0.0" and f":{state['port']}" in seen.endpoint
    assert state["command"] == [sys.executable, STANDIN, "--version", "1.0.0", "--port", str(state["port"])]
    assert state["started_at"] and state["log"].startswith(str(tmp_path / ".qm" / "logs"))
    assert "listening on" in Path(state["log"]).read_text()
    assert stat.S_IMODE((driver.directory / "api.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(state["log"]).stat().st_mode) == 0o600
    assert stat.S_IMODE(driver.directory.stat().st_mode) == 0o700
    assert driver.observe("ui").health == "missing"


def test_deploying_what_already_runs_changes_nothing(make_driver: Callable[..., ProcessDriver]) -> None:
    driver = make_driver()
    driver.deploy("api", "1.0.0", DeploySpec())
    pid = driver.observe("api").pid
    driver.deploy("api", "1.0.0", DeploySpec())
    assert driver.observe("api").pid == pid


def test_an_upgrade_starts_the_new_version_before_stopping_the_old(make_driver: Callable[..., ProcessDriver]) -> None:
    driver = make_driver()
    driver.deploy("api", "1.0.0", DeploySpec())
    old = driver.observe("api")
    answers: list[str] = []
    original = driver._save

    def save_and_probe_old(state: Any) -> None:  # when the new one is recorded, the old one still answers
        if state.previous is not None:
            answers.append(httpx.get(f"{old.endpoint}/health", trust_env=False).json()["version"])
        original(state)

    driver._save = save_and_probe_old  # type: ignore[method-assign]
    driver.deploy("api", "1.1.0", DeploySpec())
    new = driver.observe("api")
    assert answers == ["1.0.0"]
    assert (new.version, new.health) == ("1.1.0", "healthy") and new.pid != old.pid and new.endpoint != old.endpoint
    assert not procs.start_time(old.pid or 0)
    assert state_of(driver)["previous"] is None


@pytest.mark.parametrize(
    ("command", "timeout", "message"),
    [  # a generous timeout where the failure must come before it, even on a loaded machine
        (standin("--report-version", "9.9.9"), 15, "reports version '9.9.9', not 1.1.0"),
        ([sys.executable, "-c", "import sys; print('boom on start'); sys.exit(3)"], 15, "boom on start"),
        ([sys.executable, "-c", "import time; time.sleep(60)"], 1, "not healthy after 1 s"),
        (standin("--fail-health"), 1, "not healthy after 1 s ("),
    ],
)
def test_a_failed_upgrade_leaves_the_old_version_running_and_recorded(
    make_driver: Callable[..., ProcessDriver], command: list[str], timeout: float, message: str
) -> None:
    driver = make_driver()
    driver.deploy("api", "1.0.0", DeploySpec())
    old = driver.observe("api")
    broken = make_driver(command=command, start_timeout_seconds=timeout)
    before = set(_children_of_session_leaders())
    with pytest.raises(DriverError) as caught:
        broken.deploy("api", "1.1.0", DeploySpec())
    assert message in str(caught.value)
    seen = driver.observe("api")
    assert (seen.version, seen.health, seen.pid) == ("1.0.0", "healthy", old.pid)
    assert set(_children_of_session_leaders()) <= before | {old.pid}  # the new process was stopped


def _children_of_session_leaders() -> list[int]:
    """Our live child processes (each service is its own session leader)."""
    mine = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == mine and fields[0] not in "ZX":
                found.append(int(entry.name))
    return found


def test_stop_terminates_gracefully_and_kills_what_ignores_it_with_its_children(
    make_driver: Callable[..., ProcessDriver], tmp_path: Path
) -> None:
    grandchild_file = tmp_path / "grandchild.pid"
    driver = make_driver(
        command=standin("--ignore-term", "--spawn-child", str(grandchild_file)), stop_timeout_seconds=0.5
    )
    driver.deploy("api", "1.0.0", DeploySpec())
    pid = driver.observe("api").pid or 0
    grandchild = int(grandchild_file.read_text())
    assert procs.start_time(grandchild) is not None
    started = time.monotonic()
    driver.stop("api")
    assert time.monotonic() - started >= 0.5  # it waited the grace period before SIGKILL
    assert procs.start_time(pid) is None and _gone(grandchild)
    assert not (driver.directory / "api.json").exists()
    assert driver.observe("api").health == "missing"
    driver.stop("api")  # stopping what does not run is not an error


def _gone(pid: int) -> bool:
    for _ in range(100):
        if procs.start_time(pid) is None:
            return True
        time.sleep(0.02)
    return False


def test_a_stale_state_file_is_never_signalled(make_driver: Callable[..., ProcessDriver]) -> None:
    driver = make_driver()
    driver.deploy("api", "1.0.0", DeploySpec())
    path = driver.directory / "api.json"
    recorded = json.loads(path.read_text())
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)  # stands for a process that reused the pid
    try:
        driver.stop("api")
        path.write_text(json.dumps({**recorded, "pid": bystander.pid}))  # same pid, other start time: not ours
        seen = driver.observe("api")
        assert (seen.health, seen.version) == ("missing", None) and "stale state file" in seen.message
        driver.stop("api")
        assert bystander.poll() is None  # left alone
        assert not path.exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_a_dead_process_is_missing_and_a_broken_state_file_is_a_clear_error(
    make_driver: Callable[..., ProcessDriver],
) -> None:
    driver = make_driver()
    driver.deploy("api", "1.0.0", DeploySpec())
    pid = driver.observe("api").pid or 0
    os.killpg(pid, signal.SIGKILL)
    assert _gone(pid)
    assert driver.observe("api").health == "missing"
    (driver.directory / "api.json").write_text("{not json")
    with pytest.raises(DriverError, match=r"api.json: unreadable state file"):
        driver.observe("api")
    (driver.directory / "api.json").unlink()


def test_without_a_health_url_liveness_is_health(make_driver: Callable[..., ProcessDriver]) -> None:
    driver = make_driver(command=[sys.executable, "-c", "import time; time.sleep(60)", "{version}"], health_path=None)
    driver.deploy("workers", "2.0.0", DeploySpec())
    seen = driver.observe("workers")
    assert (seen.version, seen.health) == ("2.0.0", "healthy")


@pytest.mark.parametrize("version", ["1.0.0; rm -rf /", "$(id)", "1.0.0\n", "--help", "latest", "1.0", "../1.0.0"])
def test_hostile_versions_start_nothing(make_driver: Callable[..., ProcessDriver], version: str) -> None:
    driver = make_driver()
    with pytest.raises(DriverRefused, match="is not an exact version"):
        driver.deploy("api", version, DeploySpec())
    assert not (driver.directory / "api.json").exists()
    with pytest.raises(DriverRefused, match="is not one of api, workers, ui"):
        driver.deploy("api;id", "1.0.0", DeploySpec())  # type: ignore[arg-type]


def test_on_a_fixed_port_an_upgrade_replaces_the_process_on_that_port(
    make_driver: Callable[..., ProcessDriver],
) -> None:
    port = procs.free_port("127.0.0.1")
    driver = make_driver(components_port=port)
    driver.deploy("api", "1.0.0", DeploySpec())
    old = driver.observe("api")
    driver.deploy("api", "1.1.0", DeploySpec())
    new = driver.observe("api")
    assert old.endpoint == new.endpoint == f"http://127.0.0.1:{port}"
    assert (
        (new.version, new.health) == ("1.1.0", "healthy")
        and new.pid != old.pid
        and procs.start_time(old.pid or 0) is None
    )


def test_on_a_fixed_port_a_failed_upgrade_restores_the_previous_version(
    make_driver: Callable[..., ProcessDriver],
) -> None:
    port = procs.free_port("127.0.0.1")
    driver = make_driver(components_port=port)
    driver.deploy("api", "1.0.0", DeploySpec(config_version="cfg-1"))
    liar = make_driver(command=standin("--report-version", "6.6.6"), components_port=port)
    with pytest.raises(
        DriverError, match=r"reports version '6.6.6', not 1.1.0; the previous version 1.0.0 was restored \(pid \d+\)"
    ):
        liar.deploy("api", "1.1.0", DeploySpec(config_version="cfg-2"))
    seen = driver.observe("api")
    assert (seen.version, seen.health, seen.endpoint) == ("1.0.0", "healthy", f"http://127.0.0.1:{port}")
    assert state_of(driver)["config_version"] == "cfg-1"  # restored as it ran


def test_the_status_a_service_reports_is_its_health(make_driver: Callable[..., ProcessDriver]) -> None:
    driver = make_driver(command=standin("--status", "progressing"), start_timeout_seconds=0.5)
    with pytest.raises(DriverError, match="not healthy after 0.5 s"):
        driver.deploy("api", "1.0.0", DeploySpec())
    driver = make_driver(command=standin("--status", "healthy"))
    driver.deploy("api", "1.0.0", DeploySpec())
    assert driver.observe("api").health == "healthy"


def test_two_components_cannot_share_a_fixed_port() -> None:
    with pytest.raises(ValueError, match="same fixed port"):
        Runtime.model_validate({"process": {"components": {"api": {"port": 8000}, "ui": {"port": 8000}}}})


@pytest.mark.parametrize("name", ["../etc", "local/../../x", "Local", "", "local\n"])
def test_an_environment_name_that_could_leave_qm_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(DriverRefused, match="is not a valid environment name"):
        DriverContext(name, Mode.local, Runtime(), tmp_path / ".qm")


def test_what_a_careless_service_says_about_a_secret_is_redacted(
    make_driver: Callable[..., ProcessDriver], canary: Any
) -> None:
    driver = make_driver(command=standin("--message-env", "QM_DB_URL"))
    driver.deploy("api", "1.0.0", DeploySpec(secrets={"QM_DB_URL": canary.resolve()}))
    seen = driver.observe("api")
    assert seen.health == "healthy" and seen.message.startswith("using ")
    canary.assert_absent(seen.message, seen.model_dump_json(), where="observe")
