"""What the reconciler saw of an environment's running system, as plain frozen data.

`Observed` is the right-hand side of `plan(desired, observed)`: it is filled by
`observe.observe_environment` from the store, the control plane and the driver, and by tests
from plain values. Unknown is a value here, never a guess: a control state that could not be
read is `trading=None` (fail closed: not trading, and the plan rewrites it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from quantmatrix.model.runtime import COMPONENTS, Component
from quantmatrix.runtime.controlstate import TradingState

Health = Literal["healthy", "progressing", "degraded", "missing"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunningComponent(_Frozen):
    """One component as it runs: `version` None when nothing runs (health `missing`)."""

    version: str | None = None
    health: Health = "missing"
    endpoint: str | None = None
    message: str = ""


class TradingView(_Frozen):
    """The control state's trading part. `state` None: missing or unreadable (not trading)."""

    state: TradingState | None = None
    reason: str = ""
    changed_by: str = ""
    config_version: str | None = None  # the configuration version the control keys carry
    problem: str = ""  # why the state is unknown


class DeploymentView(_Frozen):
    id: str
    status: str
    release: str
    started_at: datetime
    finished_at: datetime | None = None
    monitoring_until: datetime | None = None
    rollback_of: str | None = None  # set by `qm rollback`: the release it left


class OperatorHalt(_Frozen):
    """An operator's `qm halt`: outlives every apply, rollback and restart until `qm resume`."""

    reason: str
    by: str
    at: datetime


class Observed(_Frozen):
    environment: str
    components: dict[Component, RunningComponent]
    config_version: str | None = None  # last configuration version applied (the store)
    config_release: str | None = None  # the release that configuration version came with
    migration_revision: str | None = None  # alembic revision of the environment's database (None: never migrated)
    trading: TradingView = TradingView()
    last_deployment: DeploymentView | None = None
    interrupted: DeploymentView | None = None  # a deployment left `running` by a process that died
    finished_steps: tuple[str, ...] = ()  # journal steps the interrupted deployment finished
    operator_halt: OperatorHalt | None = None

    def component(self, name: Component) -> RunningComponent:
        return self.components.get(name, RunningComponent())

    @property
    def running_release(self) -> str | None:
        """The release whose versions run, as far as the records say (last successful deployment)."""
        if self.last_deployment is not None and self.last_deployment.status == "succeeded":
            return self.last_deployment.release
        return self.config_release


def nothing_running(environment: str) -> Observed:
    """A fresh environment: no services, no store records, no control state."""
    return Observed(environment=environment, components={c: RunningComponent() for c in COMPONENTS})
