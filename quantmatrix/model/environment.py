"""An environment: its mode, connections, risk limits, strategy set and release pin (guide §2, §6).

The model validates the *effective* environment, after the `_base` layer is merged in.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from quantmatrix.model.common import (
    API_VERSION,
    ApiVersion,
    Approval,
    Currency,
    Day,
    Metadata,
    ModeField,
    Name,
    PositiveAmount,
    SecretRef,
    StrictModel,
    Text,
    Url,
    Version,
)
from quantmatrix.model.runtime import Runtime
from quantmatrix.model.window import DeployWindow

Credentials = dict[Name, SecretRef]
Symbol = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9.\-/]{0,19}$")]


class Execution(StrictModel):
    """Where orders go. Local is dry-run, backtest simulated; only live routes live orders."""

    broker: Name = Field(description="Broker adapter: 'dry-run', 'simulator', or a real broker such as 'alpaca'.")
    account_type: Literal["dry_run", "simulated", "paper", "live"] = Field(
        description="Kind of account the broker adapter trades on."
    )
    account: Text | None = Field(None, description="Broker account identifier (not a secret).")
    endpoint: Url | None = Field(None, description="Broker API endpoint; none for dry-run.")
    routes_live_orders: bool = Field(False, description="Whether orders can reach a live market. Only live may set it.")
    credentials: Credentials = Field(default_factory=dict, description="Broker credentials, as secret references.")


class MarketData(StrictModel):
    provider: Name = Field(description="Market data provider, e.g. 'demo', 'polygon', 'replay'.")
    feed: Literal["live", "delayed", "demo", "historical"]
    endpoint: Url | None = None
    credentials: Credentials = Field(default_factory=dict)


class Connection(StrictModel):
    """A Redis or PostgreSQL connection. Local may run without them ('if required', guide §7)."""

    required: bool = Field(description="Whether the environment needs this service to run.")
    url: SecretRef | None = Field(None, description="Connection URL, as a secret reference (it embeds credentials).")
    key_prefix: Text | None = Field(None, description="Redis only: prefix of the control keys.")

    @model_validator(mode="after")
    def _url_when_required(self) -> Connection:
        if self.required and self.url is None:
            raise ValueError("a required connection needs 'url' (a secret reference)")
        return self


class Api(StrictModel):
    base_url: Url = Field(description="Base URL of the QuantMatrix API of this environment.")


class Ui(StrictModel):
    banner: Text = Field(description="Mode banner the UI shows on every screen; must name the mode (guide §3).")
    url: Url | None = None


class Risk(StrictModel):
    """Risk limits the risk manager enforces. Currency explicit, every limit positive."""

    currency: Currency
    max_order_notional: PositiveAmount
    max_position_notional: PositiveAmount
    max_gross_exposure: PositiveAmount
    max_daily_loss: PositiveAmount
    max_orders_per_minute: int = Field(gt=0)


class CapitalIncrease(StrictModel):
    at: Day = Field(description="Date of the last capital increase (YYYY-MM-DD).")
    previous_limit: PositiveAmount


class Capital(StrictModel):
    limit: PositiveAmount = Field(description="Capital the environment may deploy.")
    currency: Currency
    last_increase: CapitalIncrease | None = Field(None, description="When the limit was last raised (guide §9).")
    observed_since: Day | None = Field(None, description="Start of the stable-observation period (YYYY-MM-DD).")


class Strategy(StrictModel):
    name: Name
    version: Version
    capital: float = Field(ge=0, description="Capital allocated to this strategy.")
    enabled: bool = Field(False, description="Disabled unless said otherwise.")
    params: dict[str, Any] = Field(default_factory=dict)


class Scanner(StrictModel):
    """Momentum Radar scanner settings."""

    enabled: bool
    universe: Text
    interval_seconds: int = Field(gt=0)
    params: dict[str, Any] = Field(default_factory=dict)


class Analytics(StrictModel):
    enabled: bool
    capture: bool = Field(description="Analytics capture active (guide §8).")
    logic_version: Version


class Alerts(StrictModel):
    enabled: bool
    channels: list[Text] = Field(default_factory=list)


class EmergencyHalt(StrictModel):
    enabled: bool = Field(description="Emergency halt wired and visible in the UI.")
    verified: Approval | None = Field(None, description="Who last verified it works, and when.")


class Safety(StrictModel):
    emergency_halt: EmergencyHalt
    reconciliation_tested: Approval | None = Field(None, description="Reconciliation paths last tested (guide §9).")


class Monitoring(StrictModel):
    intensity: Literal["normal", "active", "heightened"] = Field(description="Guide §14.")
    window_hours: int = Field(gt=0)


class Staffing(StrictModel):
    operator: Text | None = Field(None, description="Operator assigned to the deployment window.")
    engineer_on_standby: Text | None = None


class Approvals(StrictModel):
    """Evidence for the live preconditions of guide §9."""

    go_live_checklist: Approval | None = None
    production_readiness_review: Approval | None = None
    initial_capital_limits: Approval | None = None
    strategy_set: Approval | None = None
    risk_limits_final_review: Approval | None = None
    broker_endpoint_verified: Approval | None = None
    market_data_entitlement: Approval | None = None


class EnvironmentSpec(StrictModel):
    mode: ModeField = Field(description="Required; there is no default mode.")
    release: Version = Field(description="Release this environment runs (releases/<version>.yaml).")
    execution: Execution
    market_data: MarketData
    redis: Connection
    postgres: Connection
    api: Api
    ui: Ui
    risk: Risk
    capital: Capital
    strategies: list[Strategy] = Field(default_factory=list)
    blocked_symbols: list[Symbol] = Field(
        default_factory=list, description="Symbols that must never be traded (guide §9)."
    )
    scanner: Scanner
    analytics: Analytics
    alerts: Alerts
    safety: Safety
    monitoring: Monitoring
    deploy_window: DeployWindow = Field(default_factory=DeployWindow, description="When an apply may start (issue 10).")
    staffing: Staffing = Field(default_factory=Staffing)
    approvals: Approvals = Field(default_factory=Approvals)
    runtime: Runtime = Field(
        default_factory=Runtime,
        description="How the services run: driver, checks' timing, state store. Default: the sandbox on SQLite.",
    )

    @field_validator("strategies")
    @classmethod
    def _unique_strategies(cls, strategies: list[Strategy]) -> list[Strategy]:
        seen: set[str] = set()
        for i, strategy in enumerate(strategies):
            if strategy.name in seen:
                # `at` lets the loader point at the second entry's name, not at `strategies:`
                raise PydanticCustomError(
                    "duplicate", "strategy '{name}' is listed twice", {"name": strategy.name, "at": (i, "name")}
                )
            seen.add(strategy.name)
        return strategies


class EnvironmentMetadata(Metadata):
    name: Name = Field(description="Name of the environment; must match the file name.")
    extends: str | None = Field(
        None, pattern=r"^_[a-z][a-z0-9_-]*$", description="Base layer merged under this file (e.g. _base)."
    )


class Environment(StrictModel):
    """`environments/<name>.yaml`: the effective document, after layering."""

    apiVersion: ApiVersion = Field(description=f"Always {API_VERSION}.")
    kind: Literal["Environment"]
    metadata: EnvironmentMetadata
    spec: EnvironmentSpec


class BaseMetadata(EnvironmentMetadata):
    name: str = Field(
        pattern=r"^_[a-z][a-z0-9_-]*$", description="Name of the base, starting with '_'; must match the file name."
    )


class EnvironmentBase(StrictModel):
    """`environments/_<name>.yaml`: a partial environment that others extend. Its `spec` is
    checked as part of each environment that extends it."""

    apiVersion: ApiVersion = Field(description=f"Always {API_VERSION}.")
    kind: Literal["EnvironmentBase"]
    metadata: BaseMetadata
    spec: dict[str, Any]
