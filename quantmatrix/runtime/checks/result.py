"""What a check returns, and the settings every check runs under."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from quantmatrix.model import Environment

Category = Literal["health", "smoke", "safety"]
HealthStatus = Literal["healthy", "progressing", "degraded", "missing"]


class CheckResult(BaseModel):
    """One named check's outcome (`health.api`, `smoke.account_summary`, `safety.mode_displayed`).

    `status` is the Argo CD-style health of a health check (None for smoke and safety);
    `passed` is the verdict of every check: a health check passes only when healthy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    category: Category
    status: HealthStatus | None = None
    passed: bool
    duration_seconds: float = Field(ge=0)
    message: str


class CheckSettings(BaseModel):
    """Timeouts, bounded retries with backoff, and a per-check deadline (per environment:
    the environment's `runtime` section maps onto this)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_seconds: float = Field(2.0, gt=0, le=60, description="One HTTP request or probe.")
    retries: int = Field(2, ge=0, le=10, description="Extra attempts after a transport error or a 502/503/504.")
    backoff_seconds: float = Field(0.2, ge=0, le=30, description="Wait before retry n: backoff × 2^(n-1).")
    deadline_seconds: float = Field(10.0, gt=0, le=600, description="A check that has no verdict by then fails.")


def settings_for(environment: Environment) -> CheckSettings:
    """The environment's `runtime.checks` section as the checks' settings (same fields and bounds)."""
    return CheckSettings.model_validate(environment.spec.runtime.checks.model_dump())
