"""How the sandbox reads the control keys: through any `ControlPlane.read`, failing closed.

The sandbox only reads. It does not import the control module's classes for its logic: it
needs the state's fields (mode, trading, risk limits, blocked symbols, versions), so any
object with them works, and a test can hand it a reader of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class ControlView(Protocol):
    """The fields of `quantmatrix.runtime.control.ControlState` the sandbox reads."""

    @property
    def mode(self) -> Any: ...
    @property
    def trading(self) -> Any: ...
    @property
    def reason(self) -> str: ...
    @property
    def risk_limits(self) -> Mapping[str, float | int]: ...
    @property
    def blocked_symbols(self) -> tuple[str, ...]: ...
    @property
    def config_version(self) -> str: ...
    @property
    def version(self) -> int: ...


ControlReader = Callable[[], ControlView]


@dataclass(frozen=True)
class Control:
    """One read of the control state: the state, or why there is none (never both)."""

    state: ControlView | None
    problem: str = ""

    @property
    def mode(self) -> str | None:
        return None if self.state is None else _text(self.state.mode)

    @property
    def trading(self) -> str | None:
        return None if self.state is None else _text(self.state.trading)


def _text(value: Any) -> str:
    """Enum members (StrEnum or str-Enum) and plain strings alike → their value."""
    return str(getattr(value, "value", value))


def read_control(reader: ControlReader | None) -> Control:
    """Read once. Any failure (missing key, malformed value, Redis down) is 'no state':
    the caller treats it as not trading. The message names the error type, never a URL."""
    if reader is None:
        return Control(None, "no control state configured (start with --redis-url or --store-url)")
    try:
        return Control(reader())
    except Exception as error:  # fail closed on anything: the state is unreadable
        detail = str(error).splitlines()[0][:200] if type(error).__name__ == "ControlUnavailable" else ""
        return Control(None, f"control state unreadable ({type(error).__name__}{': ' + detail if detail else ''})")
