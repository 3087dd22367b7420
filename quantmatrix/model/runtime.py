"""How an environment's services run: the driver and its settings, the checks' timing, and
where the engine keeps its state (issue 9).

Commands are argv lists, never shell strings. An argument may hold placeholders, `{name}`
with a name from `PLACEHOLDERS`, which the driver replaces with a validated value (an exact
version, a known component, ...) inside that one argument; the program itself (the first
argument) is never a placeholder. Other braces are literal (kubectl's `{.spec...}` JSONPath).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from quantmatrix.model.common import SecretRef, StrictModel
from quantmatrix.model.release import Components

Component = Literal["api", "workers", "ui"]
# Deployed in this order (guide §11): the order of the release's pinned `components`, the one
# list of them (a test keeps `Component` equal to it).
COMPONENTS: tuple[Component, ...] = tuple(cast(Component, name) for name in Components.model_fields)

# What a command template may ask for; the driver validates each value before it substitutes it.
PLACEHOLDERS = frozenset({"component", "version", "mode", "environment", "config_version", "port", "host"})
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _known_placeholders(argument: str) -> str:
    unknown = sorted({name for name in PLACEHOLDER.findall(argument) if name not in PLACEHOLDERS})
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}: use one of {', '.join(sorted(PLACEHOLDERS))}")
    if "\x00" in argument or "\n" in argument:
        raise ValueError("an argument may not hold NUL or newline characters")
    return argument


Argument = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_known_placeholders)]


def _program_is_literal(argv: list[str]) -> list[str]:
    if argv and PLACEHOLDER.search(argv[0]):
        raise ValueError("the program (first argument) cannot be a placeholder")
    return argv


Argv = Annotated[
    list[Argument],
    Field(
        min_length=1,
        max_length=64,
        description="A command as an argv list (no shell); arguments may hold {placeholders}.",
    ),
    AfterValidator(_program_is_literal),
]


def _under_qm(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or pure.parts[:1] != (".qm",):
        raise ValueError("must be a relative path under .qm/ (runtime state is kept there, git-ignored)")
    return path


class ProcessComponent(StrictModel):
    """One component run as a local process."""

    command: Argv | None = Field(
        None, description="argv of the service; default: the sandbox platform (`qm sandbox serve` for this component)."
    )
    port: int | None = Field(
        None,
        ge=1024,
        le=65535,
        description="Fixed port (an upgrade then stops the old process first: a short gap); null: a free port per deploy (no gap, the endpoint moves).",
    )
    health_path: str | None = Field(
        "/health",
        pattern=r"^/[A-Za-z0-9._~/-]*$",
        description="HTTP path reporting {version, status} as JSON; null: health is process liveness only.",
    )


class ProcessDriver(StrictModel):
    """Supervised local processes: pid, state and log files under `.qm/` (the sandbox by default)."""

    host: Literal["127.0.0.1", "::1", "localhost"] = Field(
        "127.0.0.1", description="Loopback address the services bind."
    )
    components: dict[Component, ProcessComponent] = Field(
        default_factory=dict, description="Per-component settings; a component left out runs the sandbox."
    )
    start_timeout_seconds: float = Field(20, gt=0, le=600, description="How long a new process has to report healthy.")
    stop_timeout_seconds: float = Field(10, gt=0, le=600, description="Grace after SIGTERM before SIGKILL.")

    @model_validator(mode="after")
    def _distinct_ports(self) -> ProcessDriver:
        ports = [c.port for c in self.components.values() if c.port is not None]
        if len(ports) != len(set(ports)):
            raise ValueError("two components have the same fixed port")
        return self


class CommandDriver(StrictModel):
    """Templated commands per action, for systemd, Kubernetes or anything else."""

    deploy: Argv = Field(description="Deploys {component} at {version}, e.g. kubectl set image ....")
    rollout_status: Argv | None = Field(
        None, description="Waits until the rollout is complete; non-zero exit = not healthy."
    )
    observe: Argv | None = Field(None, description="Prints the running version of {component} on stdout.")
    stop: Argv | None = Field(None, description="Stops {component}.")
    version_pattern: str = Field(
        r"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)",
        max_length=200,
        description="Regular expression with one group: the version in the observe command's output (last match wins).",
    )
    timeout_seconds: float = Field(120, gt=0, le=3600, description="Each command is killed after this long.")
    inherit_env: list[Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$", max_length=128)]] = Field(
        default_factory=list,
        max_length=32,
        description="Variables of qm's own environment the commands also get (e.g. KUBECONFIG); others are not passed.",
    )

    @model_validator(mode="after")
    def _placeholders_per_action(self) -> CommandDriver:
        """stop and observe act on whatever runs: they know no version; no command has a port."""
        for action, argv, refused in (
            ("deploy", self.deploy, {"port", "host"}),
            ("rollout_status", self.rollout_status, {"port", "host"}),
            ("observe", self.observe, {"version", "port", "host"}),
            ("stop", self.stop, {"version", "port", "host"}),
        ):
            used = {name for argument in argv or [] for name in PLACEHOLDER.findall(argument)}
            if used & refused:
                raise ValueError(
                    f"{action} cannot use {{{sorted(used & refused)[0]}}}: it is not known for that action"
                )
        return self

    @model_validator(mode="after")
    def _one_group(self) -> CommandDriver:
        try:
            groups = re.compile(self.version_pattern).groups
        except re.error as error:
            raise ValueError(f"version_pattern is not a regular expression: {error}") from None
        if groups != 1:
            raise ValueError("version_pattern needs exactly one group (the version)")
        return self


class CheckSettings(StrictModel):
    """Timing of the health, smoke and safety checks (guide §12), per environment. Same fields
    and bounds as the checks' own `runtime.checks.CheckSettings`, so every valid section maps onto it."""

    timeout_seconds: float = Field(2, gt=0, le=60, description="Timeout of one HTTP request of a check.")
    retries: int = Field(2, ge=0, le=10, description="Retries after a failed attempt.")
    backoff_seconds: float = Field(0.2, ge=0, le=30, description="Wait before the first retry; doubles after each.")
    deadline_seconds: float = Field(10, gt=0, le=600, description="A check gives up after this long, retries included.")


class StoreSettings(StrictModel):
    """Where the engine keeps its control tables: PostgreSQL (a secret URL) or SQLite under `.qm/`."""

    url: SecretRef | None = Field(
        None, description="Database URL as a secret reference (PostgreSQL for paper and live)."
    )
    sqlite_path: Annotated[str, AfterValidator(_under_qm)] | None = Field(
        None, description="SQLite file under .qm/ when no url is set; default .qm/<environment>/state.db."
    )

    @model_validator(mode="after")
    def _one_location(self) -> StoreSettings:
        if self.url is not None and self.sqlite_path is not None:
            raise ValueError("set either 'url' or 'sqlite_path', not both")
        return self

    def sqlite_file(self, environment: str) -> str | None:
        """The SQLite file of `environment` (relative to the repository root), or None for a URL store."""
        if self.url is not None:
            return None
        return self.sqlite_path or f".qm/{environment}/state.db"


HealAction = Literal["correct", "report", "halt"]


class SelfHeal(StrictModel):
    """What `qm reconcile` does about drift it sees (issue 11). Unset fields take the mode's
    default (`reconcile.heal.policy_for`): local, paper and backtest correct everything; live
    halts on safety drift and reports the rest. `correct` rewrites the control keys from the
    store (never loosening trading); `halt` halts trading as an operator halt (only
    `qm resume` clears it) and records an incident; `report` records the drift only."""

    safety: HealAction | None = Field(None, description="Trading switch, risk limits, blocked symbols, mode.")
    config: HealAction | None = Field(None, description="Other control keys: strategies, configuration version.")
    services: Literal["apply", "report"] | None = Field(
        None,
        description="A new commit or running versions/health off the desired: run the apply path (all its gates) or report.",
    )


class ReconcileSettings(StrictModel):
    """How `qm reconcile` watches this environment."""

    observe_interval_seconds: float = Field(
        10, ge=0.1, le=3600, description="Services' versions and health are polled this often."
    )
    self_heal: SelfHeal = Field(default_factory=SelfHeal, description="What drift leads to; unset: the mode's default.")


class Runtime(StrictModel):
    """How the environment runs. The default is the sandbox platform under the process driver,
    on SQLite without Redis: the embedded default for local (whether Redis is used is `redis.required`)."""

    driver: Literal["process", "command"] = Field(
        "process", description="Driver that deploys, stops and observes the services."
    )
    process: ProcessDriver = Field(default_factory=ProcessDriver, description="Settings of the process driver.")
    command: CommandDriver | None = Field(
        None, description="Settings of the command driver (required when driver is command)."
    )
    checks: CheckSettings = Field(default_factory=CheckSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    reconcile: ReconcileSettings = Field(
        default_factory=ReconcileSettings, description="Continuous reconciliation (qm reconcile)."
    )

    @model_validator(mode="after")
    def _driver_settings(self) -> Runtime:
        if self.driver == "command" and self.command is None:
            raise ValueError("driver 'command' needs the 'command' settings (deploy, ...)")
        return self
