"""The `process` driver: each component a supervised local process (the sandbox by default).

Files, under the repository's `.qm/` (git-ignored, directories 0700, files 0600):
- `.qm/<environment>/<component>.json`: the state file — version, pid, its start time, port,
  started_at, command, log path. Never a secret: secrets go to the child's environment only.
- `.qm/logs/<environment>-<component>-<version>-<port>.log`: the process's stdout and stderr.

A deploy starts the new version on a new free port, waits until its health URL reports that
version (or, without a health URL, until it has stayed up for a moment), records it, and only
then stops the old process: an upgrade has no gap, and a failed upgrade leaves the old one
running and recorded. The endpoint therefore moves with each deploy: `observe` returns it.
A stop is SIGTERM to the process's session, a grace period, then SIGKILL. A state file whose
pid is dead or belongs to another process now (checked by start time) is stale: never signalled.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from quantmatrix.model.runtime import COMPONENTS, Component
from quantmatrix.runtime.drivers import procs
from quantmatrix.runtime.drivers.base import (
    DeploySpec,
    DriverContext,
    DriverError,
    DriverRefused,
    Health,
    Observed,
    child_environment,
    refuse_secret_arguments,
    render_argv,
    tail,
    template_values,
)
from quantmatrix.runtime.secrets import redact

log = logging.getLogger(__name__)
SANDBOX = [
    "sandbox",
    "serve",
    "--component",
    "{component}",
    "--version",
    "{version}",
    "--mode",
    "{mode}",
    "--port",
    "{port}",
]
_HEALTH = ("healthy", "progressing", "degraded", "missing")
_SETTLE_SECONDS = 0.5  # without a health URL: alive this long after start counts as started
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # ours: kept so they are reaped, not warned about


class ProcessState(BaseModel):
    """The state file of one component. `previous` is an old process still to stop (a crash
    between recording the new one and stopping the old one leaves it here)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    component: Component
    version: str
    config_version: str | None = None
    pid: int
    started: int  # start time in clock ticks since boot: the pid's identity
    host: str
    port: int
    started_at: datetime
    command: list[str]
    log: str
    health_url: str | None
    previous: ProcessState | None = None

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class ProcessDriver:
    def __init__(self, context: DriverContext):
        self.context = context
        self.settings = context.runtime.process
        self.directory = context.state_dir / context.environment
        self.logs = context.state_dir / "logs"

    # --- the protocol -----------------------------------------------------------------

    def deploy(self, component: Component, version: str, spec: DeploySpec) -> None:
        values = template_values(
            self.context, component, version, config_version=spec.config_version, host=self.settings.host
        )
        current = self._load(component)
        running = current if current and self._alive(current) else None
        if (
            running
            and (running.version, running.config_version) == (version, spec.config_version)
            and self._probe(running)[0] == "healthy"
        ):
            log.info("deploy %s %s: already running (pid %d), nothing to do", component, version, running.pid)
            return
        fixed = self._fixed_port(component)
        port = fixed or procs.free_port(self.settings.host)
        argv = render_argv(self._template(component, spec), {**values, "port": str(port)})
        refuse_secret_arguments(argv)
        leftover = current.previous if current else None
        if fixed is None:  # start the new one, then stop the old one: no gap
            new = self._launch(component, version, spec, argv, port)
            self._save(new.model_copy(update={"previous": running}))  # recorded before the old one goes
            for old in (running, leftover):
                if old is not None:
                    procs.terminate(old.pid, old.started, self.settings.stop_timeout_seconds)
        else:  # the port is taken until the old one stops: a short gap, and a way back
            for old in (running, leftover):
                if old is not None:
                    procs.terminate(old.pid, old.started, self.settings.stop_timeout_seconds)
            try:
                new = self._launch(component, version, spec, argv, port)
            except DriverError as failure:
                raise DriverError(f"{failure.problems[0].message}; {self._restore(running, spec)}") from None
        self._save(new)
        log.info("deploy %s %s: running as pid %d on %s", component, version, new.pid, new.endpoint)

    def _fixed_port(self, component: Component) -> int | None:
        settings = self.settings.components.get(component)
        return settings.port if settings is not None else None

    def _launch(self, component: Component, version: str, spec: DeploySpec, argv: list[str], port: int) -> ProcessState:
        """Start and wait until healthy; a process that does not get there is stopped."""
        new = self._start(component, version, spec, argv, port)
        try:
            self._wait_ready(new)
        except BaseException:
            procs.terminate(new.pid, new.started, self.settings.stop_timeout_seconds)
            raise
        return new

    def _restore(self, old: ProcessState | None, spec: DeploySpec) -> str:
        """After a failed deploy on a fixed port: start the version that ran before, as it ran."""
        if old is None:
            return "nothing ran before"
        try:
            as_it_ran = dataclasses.replace(spec, config_version=old.config_version)
            restored = self._launch(old.component, old.version, as_it_ran, old.command, old.port)
        except DriverError as error:
            self._path(old.component).unlink(missing_ok=True)
            return f"the previous version {old.version} could not be restored either: {error.problems[0].message}"
        self._save(restored)
        return f"the previous version {old.version} was restored (pid {restored.pid})"

    def stop(self, component: Component) -> None:
        state = self._load(component)
        if state is None:
            return
        for process in (state, state.previous):
            if process is not None and not procs.terminate(
                process.pid, process.started, self.settings.stop_timeout_seconds
            ):
                log.info(
                    "stop %s: pid %d is not the process we started (stale state file); not signalled",
                    component,
                    process.pid,
                )
        self._path(component).unlink(missing_ok=True)

    def observe(self, component: Component) -> Observed:
        state = self._load(component)
        if state is None:
            return Observed(component=component, version=None, health="missing", message="not deployed")
        if not self._alive(state):
            return Observed(
                component=component,
                version=None,
                health="missing",
                message=f"pid {state.pid} is not running (stale state file)",
            )
        health, reported, message = self._probe(state)
        return Observed(
            component=component,
            version=reported or state.version,
            health=health,
            pid=state.pid,
            endpoint=state.endpoint,
            message=message,
        )

    def stop_all(self) -> None:
        """`qm down`: stop every component this driver started for the environment."""
        for component in reversed(COMPONENTS):
            self.stop(component)

    # --- starting and checking --------------------------------------------------------

    def _template(self, component: Component, spec: DeploySpec) -> list[str]:
        settings = self.settings.components.get(component)
        if settings is not None and settings.command is not None:
            return list(settings.command)
        extra = ["--config-version", "{config_version}"] if spec.config_version is not None else []
        for argument in spec.args:
            if not argument or "\x00" in argument or "\n" in argument:
                raise DriverRefused(f"sandbox argument {argument[:80]!r} is empty or holds NUL/newline: refused")
        return [sys.executable, "-m", "quantmatrix", *SANDBOX, *extra, *self._sandbox_peers(component), *spec.args]

    def _sandbox_peers(self, component: Component) -> list[str]:
        """The sandbox API folds its peers' health into its own: tell it where the peers on fixed ports are."""
        if component != "api":
            return []
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        peers = [(peer, self._fixed_port(peer)) for peer in ("workers", "ui")]
        return [argument for peer, port in peers if port for argument in ("--peer", f"{peer}=http://{host}:{port}")]

    def _health_url(self, component: Component, port: int) -> str | None:
        settings = self.settings.components.get(component)
        path = settings.health_path if settings is not None else "/health"
        if path is None:
            return None
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        return f"http://{host}:{port}{path}"

    def _start(self, component: Component, version: str, spec: DeploySpec, argv: list[str], port: int) -> ProcessState:
        self._mkdir(self.directory)
        self._mkdir(self.logs)
        log_path = self.logs / f"{self.context.environment}-{component}-{version}-{port}.log"
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as error:
            raise DriverError(
                f"deploy {component} {version}: cannot open the log file {log_path}: {error.strerror}"
            ) from None
        try:
            child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=subprocess.STDOUT,
                env=child_environment(spec),
                start_new_session=True,
            )
        except OSError as error:
            raise DriverError(f"deploy {component} {version}: cannot start {argv[0]!r}: {error.strerror}") from None
        finally:
            os.close(fd)
        _CHILDREN[child.pid] = child
        started = procs.start_time(child.pid)
        if started is None:
            child.wait()
            raise DriverError(
                f"deploy {component} {version}: exited at once with {child.returncode}: {tail(_read(log_path))}"
            )
        return ProcessState(
            component=component,
            version=version,
            config_version=spec.config_version,
            pid=child.pid,
            started=started,
            host=self.settings.host,
            port=port,
            started_at=datetime.now(UTC),
            command=argv,
            log=str(log_path),
            health_url=self._health_url(component, port),
        )

    def _wait_ready(self, state: ProcessState) -> None:
        what = f"deploy {state.component} {state.version}"
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        settle = time.monotonic() + min(_SETTLE_SECONDS, self.settings.start_timeout_seconds)
        message = "no answer yet"
        while time.monotonic() < deadline:
            if not self._alive(state):
                raise DriverError(
                    f"{what}: the process exited before it was healthy; log {state.log}:\n{tail(_read(Path(state.log)))}"
                )
            if state.health_url is None:
                if time.monotonic() >= settle:
                    return
            else:
                health, reported, message = self._probe(state)
                if reported is not None and reported != state.version:
                    raise DriverError(
                        f"{what}: {state.health_url} reports version {reported[:40]!r}, not {state.version}"
                    )
                if health == "healthy":
                    return
            time.sleep(0.05)
        raise DriverError(
            f"{what}: not healthy after {self.settings.start_timeout_seconds:g} s ({message}); log {state.log}"
        )

    def _probe(self, state: ProcessState) -> tuple[Health, str | None, str]:
        """Health, reported version and a message, from the health URL or from liveness."""
        if state.health_url is None:
            return (
                ("healthy", None, "alive (no health URL)") if self._alive(state) else ("missing", None, "not running")
            )
        from quantmatrix.runtime.drivers.health_get import HealthUnreachable, get_health

        try:
            status_code, body = get_health(state.health_url, timeout=1.0)
        except HealthUnreachable as error:
            young = (datetime.now(UTC) - state.started_at).total_seconds() < self.settings.start_timeout_seconds
            return ("progressing" if young else "degraded"), None, f"{state.health_url}: {error.kind}"
        reported = body.get("version") if isinstance(body.get("version"), str) else None
        status = body.get("status") if body.get("status") in _HEALTH else None
        said = redact(str(body.get("message", ""))[:200])  # a service's own words, shown by `qm status`
        if status_code != 200:
            return (
                (status if status not in (None, "healthy") else "degraded"),
                reported,
                f"{state.health_url} answered {status_code} {said}".strip(),
            )
        if reported is None:
            return "degraded", None, f"{state.health_url} reports no version"
        return status or "healthy", reported, said or "ok"

    def _alive(self, state: ProcessState) -> bool:
        return procs.is_ours(state.pid, state.started)

    # --- state files ------------------------------------------------------------------

    def _path(self, component: Component) -> Path:
        return self.directory / f"{component}.json"

    def _load(self, component: Component) -> ProcessState | None:
        path = self._path(component)
        try:
            return ProcessState.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError) as error:
            raise DriverError(
                f"{path}: unreadable state file ({type(error).__name__}); inspect it, stop the process by hand, remove it"
            ) from None

    def _save(self, state: ProcessState) -> None:
        path = self._path(state.component)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(state.model_dump(mode="json"), indent=2) + "\n")
        os.replace(temporary, path)

    @staticmethod
    def _mkdir(path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _read(path: Path, limit: int = 64 * 1024) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
