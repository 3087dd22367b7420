"""The driver protocol, what a driver observes, and the safe templating of command lines.

A driver deploys a component (api, workers, ui) at an exact version, stops it, and observes
which version runs and how healthy it is. Commands are argv lists: a template's
`{placeholder}` is replaced inside its one argument by a value validated here first (an exact
version, a known component, ...), and nothing ever goes through a shell. Secrets reach a
child process only through its environment, never its argv or a file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from quantmatrix.errors import ExitCode, QMError
from quantmatrix.model.common import Mode, is_exact_version
from quantmatrix.model.runtime import COMPONENTS, PLACEHOLDER, Component, Runtime
from quantmatrix.runtime.secrets import SecretValue, redact

Health = Literal["healthy", "progressing", "degraded", "missing"]  # as Argo CD assesses it

_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_CONFIG_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,127}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# What a child process inherits from ours: enough to run, nothing else (the operator's shell
# may hold other environments' credentials).
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH", "SYSTEMROOT")


class DriverError(QMError):
    """A deploy, stop or observe could not be carried out (the service is unavailable)."""

    exit_code = ExitCode.UNAVAILABLE


class DriverRefused(DriverError):
    """A value that may not reach a command line (a version that is not exact, an unknown component)."""

    exit_code = ExitCode.INVALID


class Observed(BaseModel):
    """What runs: the version (None when nothing runs), its health, and where it answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    component: Component
    version: str | None
    health: Health
    pid: int | None = None
    endpoint: str | None = None  # base URL of the running process (the process driver picks free ports)
    message: str = ""


@dataclass(frozen=True)
class DeploySpec:
    """What a deploy needs besides the component and the version.

    `secrets` maps environment variable names of the child to values: they are revealed into
    the child's environment only. `env` holds plain settings. `args` are extra literal arguments
    for the default sandbox command (e.g. `--environment local`)."""

    config_version: str | None = None
    secrets: Mapping[str, SecretValue] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriverContext:
    """The environment a driver acts on. `state_dir` is the repository's `.qm/`."""

    environment: str
    mode: Mode
    runtime: Runtime
    state_dir: Path = Path(".qm")

    def __post_init__(self) -> None:
        # the name becomes a directory under .qm/ and a placeholder value: `../x` never gets there
        if not isinstance(self.environment, str) or not _ENVIRONMENT.fullmatch(self.environment):
            raise _refuse("environment", self.environment, "is not a valid environment name")


class Driver(Protocol):
    def deploy(self, component: Component, version: str, spec: DeploySpec) -> None:
        """Run `component` at `version`; return once it is verified, or raise DriverError."""

    def stop(self, component: Component) -> None:
        """Stop `component`; stopping what does not run is not an error."""

    def observe(self, component: Component) -> Observed:
        """The version and health of `component` as it runs now; never raises for a dead service."""


def _refuse(what: str, value: object, why: str) -> DriverRefused:
    return DriverRefused(f"{what} {str(value)[:80]!r} {why}: refused")


def template_values(
    context: DriverContext,
    component: str,
    version: str | None = None,
    *,
    config_version: str | None = None,
    port: int | None = None,
    host: str | None = None,
) -> dict[str, str]:
    """The placeholder values of one action, each validated: a value that could change the
    meaning of a command (`1.0.0; rm -rf /`, `$(id)`, a newline, `--option`) never gets in."""
    if component not in COMPONENTS:
        raise _refuse("component", component, f"is not one of {', '.join(COMPONENTS)}")
    if not _ENVIRONMENT.fullmatch(context.environment):
        raise _refuse("environment", context.environment, "is not a valid environment name")
    values = {"component": component, "mode": Mode(context.mode).value, "environment": context.environment}
    if version is not None:
        if not is_exact_version(version):
            raise _refuse("version", version, "is not an exact version (MAJOR.MINOR.PATCH)")
        values["version"] = version
    if config_version is not None:
        if not _CONFIG_VERSION.fullmatch(config_version):
            raise _refuse("config version", config_version, "is not a plain version or hash")
        values["config_version"] = config_version
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise _refuse("port", port, "is not a TCP port")
        values["port"] = str(port)
    if host is not None:
        values["host"] = host
    return values


def render_argv(template: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """`template` with every `{name}` replaced, inside its own argument only."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise DriverRefused(
                f"placeholder {{{name}}} has no value for this action (available: {', '.join(sorted(values))})"
            )
        return values[name]

    argv = [PLACEHOLDER.sub(substitute, argument) for argument in template]
    if not argv or not argv[0]:
        raise DriverRefused("empty command")
    return argv


def child_environment(spec: DeploySpec) -> dict[str, str]:
    """The environment of a child process: a short allow-list of ours, `spec.env`, and the
    secrets (revealed here, the one place they go to a child)."""
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    for name, value in {**spec.env, **{k: "" for k in spec.secrets}}.items():
        if not _ENV_NAME.fullmatch(name) or "\x00" in value:
            raise DriverRefused(f"environment variable name {name[:80]!r} is not UPPER_SNAKE_CASE")
        env[name] = value
    env.update({name: secret.reveal() for name, secret in spec.secrets.items()})
    return env


def tail(text: str, lines: int = 20) -> str:
    """The last lines of a command's output, redacted, for an error message."""
    return redact("\n".join(text.strip().splitlines()[-lines:]))


def refuse_secret_arguments(argv: Sequence[str]) -> None:
    """A command line is visible to every user of the machine (`ps`) and is recorded in state
    files: an argument holding a resolved secret, or anything the detectors flag, is refused."""
    for argument in argv:
        if redact(argument) != argument:
            raise DriverRefused(
                f"an argument of {argv[0]!r} holds a secret; pass secrets in the child's environment (DeploySpec.secrets)"
            )
