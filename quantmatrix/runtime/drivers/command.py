"""The `command` driver: templated argv commands per action, for systemd, Kubernetes or anything.

- deploy: run `deploy`, then `rollout_status` (if set) until it succeeds; either failing fails the deploy.
- stop: run `stop` (if set).
- observe: run `observe` (prints the running version, found with `version_pattern`) and
  `rollout_status`: healthy when both succeed, degraded when the rollout is not done or the
  version cannot be read, missing when `observe` fails.

Every command runs without a shell, in its own session (a timeout kills its whole process
group), with a timeout and a minimal environment; its output is captured and only ever shown
redacted, in an error message.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
from dataclasses import dataclass

from quantmatrix.model.common import is_exact_version
from quantmatrix.model.runtime import CommandDriver as CommandSettings
from quantmatrix.model.runtime import Component
from quantmatrix.runtime.drivers.base import (
    DeploySpec,
    DriverContext,
    DriverError,
    Observed,
    child_environment,
    refuse_secret_arguments,
    render_argv,
    tail,
    template_values,
)

log = logging.getLogger(__name__)
MAX_OUTPUT = 256 * 1024


@dataclass(frozen=True)
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_command(argv: list[str], *, timeout: float, env: dict[str, str], action: str) -> Completed:
    """Run `argv` (no shell) with a timeout; on timeout kill its process group and raise."""
    try:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as error:
        raise DriverError(f"{action}: cannot run {argv[0]!r}: {error.strerror}") from None
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(child.pid)
        child.communicate()
        raise DriverError(f"{action}: {argv[0]} timed out after {timeout:g} s and was killed") from None
    finally:
        if child.poll() is None:  # interrupted: nothing we start outlives us
            _kill_group(child.pid)
            child.wait()
    return Completed(
        argv,
        child.returncode,
        out[-MAX_OUTPUT:].decode("utf-8", "replace"),
        err[-MAX_OUTPUT:].decode("utf-8", "replace"),
    )


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class CommandDriver:
    def __init__(self, context: DriverContext):
        if context.runtime.command is None:
            raise DriverError(f"environment {context.environment}: driver 'command' needs runtime.command settings")
        self.context = context
        self.settings: CommandSettings = context.runtime.command
        self._inherited = {name: os.environ[name] for name in self.settings.inherit_env if name in os.environ}
        self._env: dict[str, str] = {**child_environment(DeploySpec()), **self._inherited}

    def _run(
        self,
        action: str,
        template: list[str],
        component: Component,
        version: str | None,
        spec: DeploySpec | None = None,
    ) -> Completed:
        config_version = spec.config_version if spec else None
        values = template_values(self.context, component, version, config_version=config_version)
        argv = render_argv(template, values)
        refuse_secret_arguments(argv)
        env = {**child_environment(spec), **self._inherited} if spec else self._env
        log.info("%s %s: %s", action, component, " ".join(argv))
        return run_command(argv, timeout=self.settings.timeout_seconds, env=env, action=f"{action} {component}")

    def deploy(self, component: Component, version: str, spec: DeploySpec) -> None:
        done = self._run("deploy", self.settings.deploy, component, version, spec)
        if done.returncode != 0:
            raise DriverError(
                f"deploy {component} {version}: {done.argv[0]} exited with {done.returncode}: {tail(done.stderr or done.stdout)}"
            )
        if self.settings.rollout_status is not None:
            status = self._run("rollout-status", self.settings.rollout_status, component, version, spec)
            if status.returncode != 0:
                raise DriverError(
                    f"deploy {component} {version}: rollout not complete ({status.argv[0]} exited with {status.returncode}): "
                    f"{tail(status.stderr or status.stdout)}"
                )

    def stop(self, component: Component) -> None:
        if self.settings.stop is None:
            raise DriverError(f"stop {component}: environment {self.context.environment} declares no stop command")
        done = self._run("stop", self.settings.stop, component, None)
        if done.returncode != 0:
            raise DriverError(
                f"stop {component}: {done.argv[0]} exited with {done.returncode}: {tail(done.stderr or done.stdout)}"
            )

    def observe(self, component: Component) -> Observed:
        if self.settings.observe is None:
            return Observed(component=component, version=None, health="degraded", message="no observe command declared")
        try:
            seen = self._run("observe", self.settings.observe, component, None)
        except DriverError as error:
            return Observed(
                component=component, version=None, health="degraded", message=str(error.problems[0].message)
            )
        if seen.returncode != 0:
            return Observed(
                component=component,
                version=None,
                health="missing",
                message=f"observe exited with {seen.returncode}: {tail(seen.stderr, 3)}",
            )
        found = re.findall(self.settings.version_pattern, seen.stdout)
        version = found[-1] if found else None
        if not is_exact_version(version):  # what another program printed is not trusted to be one
            return Observed(
                component=component, version=None, health="degraded", message="observe printed no exact version"
            )
        if self.settings.rollout_status is not None:
            try:
                status = self._run("rollout-status", self.settings.rollout_status, component, version)
            except DriverError as error:
                return Observed(
                    component=component, version=version, health="degraded", message=error.problems[0].message
                )
            if status.returncode != 0:
                return Observed(
                    component=component,
                    version=version,
                    health="progressing",
                    message=tail(status.stderr or status.stdout, 3),
                )
        return Observed(component=component, version=version, health="healthy")
