"""Fault injection: the named ways a sandbox component can misbehave, one table.

A fault is `KIND` or `KIND=VALUE`, given at start (`--fault`) or at run time
(`POST /_sandbox/faults`, `qm sandbox fault`). Each kind says which components it applies
to and what its value means; the checks that must catch it are listed in the README.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from quantmatrix.model.common import Mode
from quantmatrix.model.runtime import COMPONENTS

SUBSYSTEMS = ("market_data", "broker", "risk_manager", "scanner", "strategy_allocator", "analytics_pipeline")
SCREENS = ("account", "orders", "positions", "risk", "settings", "radar", "watchlist", "reconciliation")
MODES = tuple(mode.value for mode in Mode)


class FaultError(ValueError):
    """A fault that does not exist, does not apply to this component, or has a bad value."""


@dataclass(frozen=True)
class FaultKind:
    components: tuple[str, ...]
    value: str  # what the value is: "" (none), "seconds", "mode", "symbol", "subsystem", "screen", "version"
    help: str
    optional: bool = True  # the value may be omitted (a default applies)


FAULTS: dict[str, FaultKind] = {
    "unhealthy": FaultKind(
        COMPONENTS,
        "subsystem",
        "report degraded (the whole component, or one workers subsystem); the UI page answers 503",
    ),
    "slow": FaultKind(COMPONENTS, "seconds", "delay every answer by SECONDS (default 2)"),
    "crash": FaultKind(COMPONENTS, "seconds", "the process exits with status 1 (after SECONDS, default at once)"),
    "wrong_mode": FaultKind(
        COMPONENTS,
        "mode",
        "lie about the mode: /health (api, workers) or the banner (ui) shows MODE (default: live, or paper on live)",
    ),
    "wrong_version": FaultKind(
        COMPONENTS, "version", "report VERSION in /health instead of the deployed one", optional=False
    ),
    "unexpected_position": FaultKind(("api",), "symbol", "the broker shows a position nobody opened (default ZZUNEXP)"),
    "unexpected_order": FaultKind(("api",), "symbol", "the broker shows an open order nobody placed (default ZZUNEXP)"),
    "duplicate_order": FaultKind(
        ("api",), "symbol", "the broker shows two orders with one client order id (default ZZUNEXP)"
    ),
    "ignore_blocked_symbols": FaultKind(("api",), "", "accept orders for blocked symbols"),
    "ignore_risk_limits": FaultKind(("api",), "", "serve built-in risk limits instead of the control state's"),
    "reconciliation_mismatch": FaultKind(
        ("api",), "symbol", "the broker's positions differ from the ledger's (default AAPL)"
    ),
    "broken_screen": FaultKind(("api",), "screen", "one API screen answers 500", optional=False),
    "no_halt_control": FaultKind(("ui",), "", "the UI page loses its emergency halt control"),
    "stale_prices": FaultKind(("workers",), "", "market data stops ticking (last tick minutes old)"),
    "broker_disconnected": FaultKind(("workers",), "", "the execution broker connection is down"),
    "risk_manager_down": FaultKind(("workers",), "", "the risk manager stops answering"),
}

_DEFAULT_SYMBOL = "ZZUNEXP"


def parse_fault(text: str, component: str, mode: str) -> tuple[str, str]:
    """`KIND[=VALUE]` → (kind, value with its default applied); FaultError says what is wrong."""
    kind, _, value = text.strip().partition("=")
    kind, value = kind.strip(), value.strip()
    if kind not in FAULTS:
        raise FaultError(f"unknown fault '{kind}' (known: {', '.join(sorted(FAULTS))})")
    spec = FAULTS[kind]
    if component not in spec.components:
        raise FaultError(
            f"fault '{kind}' does not apply to the {component} component (only {', '.join(spec.components)})"
        )
    if not value and not spec.optional:
        raise FaultError(f"fault '{kind}' needs a value: {kind}=<{spec.value}>")
    if spec.value == "" and value:
        raise FaultError(f"fault '{kind}' takes no value")
    return kind, _checked_value(kind, spec, value, mode)


def _checked_value(kind: str, spec: FaultKind, value: str, mode: str) -> str:
    if spec.value == "seconds":
        default = "2" if kind == "slow" else "0"
        try:
            seconds = float(value or default)
        except ValueError:
            raise FaultError(f"fault '{kind}': '{value}' is not a number of seconds") from None
        if not 0 <= seconds <= 60:
            raise FaultError(f"fault '{kind}': seconds must be between 0 and 60")
        return str(seconds)
    if spec.value == "mode":
        value = value or ("paper" if mode == "live" else "live")
        if value not in MODES:
            raise FaultError(f"fault '{kind}': '{value}' is not a mode ({', '.join(MODES)})")
        return value
    if spec.value == "symbol":
        value = (value or ("AAPL" if kind == "reconciliation_mismatch" else _DEFAULT_SYMBOL)).upper()
        if not value.isalnum() or len(value) > 12:
            raise FaultError(f"fault '{kind}': '{value}' is not a symbol")
        return value
    if spec.value == "subsystem":
        if value and value not in SUBSYSTEMS:
            raise FaultError(f"fault '{kind}': '{value}' is not a workers subsystem ({', '.join(SUBSYSTEMS)})")
        return value
    if spec.value == "screen":
        if value not in SCREENS:
            raise FaultError(f"fault '{kind}': '{value}' is not a screen ({', '.join(SCREENS)})")
        return value
    if spec.value == "version":
        if len(value) > 64 or not value.replace(".", "").replace("-", "").replace("+", "").isalnum():
            raise FaultError(f"fault '{kind}': '{value}' is not a version")
        return value
    return value


class Faults:
    """The faults active in one process; shared by request threads."""

    def __init__(self, component: str, mode: str) -> None:
        self.component, self.mode = component, mode
        self._active: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, text: str) -> tuple[str, str]:
        kind, value = parse_fault(text, self.component, self.mode)
        with self._lock:
            self._active[kind] = value
        return kind, value

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def get(self, kind: str) -> str | None:
        """The fault's value ("" when it has none), or None when it is not active."""
        with self._lock:
            return self._active.get(kind)

    def active(self) -> dict[str, str]:
        with self._lock:
            return dict(self._active)
