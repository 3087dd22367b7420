"""What the trading processes obey: mode, trading state, limits, blocked symbols, strategies.

The models live here (not in `control.py`) so that the store can persist them without
importing the Redis side; `control.py` re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from quantmatrix.model.common import Mode

# The audit actions of `qm halt` and `qm resume`: an operator halt stands from the first until the second.
HALT_ACTION, RESUME_ACTION = "operator.halt", "operator.resume"


class TradingState(StrEnum):
    """ACTIVE: normal. REDUCING: only orders that reduce positions. HALTED: no new orders."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class ControlUnavailable(Exception):
    """The control state is missing, unreadable or malformed: callers treat it as NOT trading."""


class StrategyPin(BaseModel):
    """A strategy as the trading processes see it: no params (they may name files or secrets)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    enabled: bool
    capital: float = Field(ge=0)


class ControlState(BaseModel):
    """One consistent snapshot of the control keys. `version` counts writes (0 = never written)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    environment: str
    mode: Mode
    trading: TradingState
    reason: str
    changed_by: str
    changed_at: datetime
    risk_limits: dict[str, float | int]
    blocked_symbols: tuple[str, ...] = ()
    strategies: tuple[StrategyPin, ...] = ()
    config_version: str
    version: int = Field(0, ge=0)

    @property
    def trading_allowed(self) -> bool:
        """New risk may be taken only when ACTIVE; REDUCING still allows reducing orders."""
        return self.trading is TradingState.ACTIVE


class ControlConflict(Exception):
    """Compare-and-set lost: the control state changed since it was read (another writer)."""
