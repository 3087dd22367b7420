"""Service drivers: how an environment's components are deployed, stopped and observed.

House style (pre-commit's languages dict): each driver is a module implementing the `Driver`
protocol of `base.py`, listed once in `DRIVERS`. Adding one = one module + one entry.

The names load on first use (PEP 562): `procs` and `health_get` are standard-library
modules that the in-sync fast path of `qm apply` uses without the drivers' models."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quantmatrix.runtime.drivers.base import (
        DeploySpec,
        Driver,
        DriverContext,
        DriverError,
        DriverRefused,
        Observed,
    )

    DRIVERS: dict[str, Callable[[DriverContext], Driver]]

_BASE = ("DeploySpec", "Driver", "DriverContext", "DriverError", "DriverRefused", "Observed")


def _drivers() -> dict[str, Callable[[DriverContext], Driver]]:
    from quantmatrix.runtime.drivers import command, process

    registry: dict[str, Callable[[DriverContext], Driver]] = {
        "process": process.ProcessDriver,
        "command": command.CommandDriver,
    }
    return globals().setdefault("DRIVERS", registry)  # type: ignore[no-any-return]


def driver_for(context: DriverContext) -> Driver:
    """The driver the environment's `runtime.driver` names."""
    registry: dict[str, Callable[[DriverContext], Driver]] = globals().get("DRIVERS") or _drivers()
    return registry[context.runtime.driver](context)


def __getattr__(name: str) -> Any:
    if name == "DRIVERS":
        return _drivers()
    if name in _BASE:
        value = getattr(importlib.import_module(f"{__name__}.base"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DRIVERS", "DeploySpec", "Driver", "DriverContext", "DriverError", "DriverRefused", "Observed", "driver_for"]
