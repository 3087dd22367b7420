"""Service drivers: how an environment's components are deployed, stopped and observed.

House style (pre-commit's languages dict): each driver is a module implementing the `Driver`
protocol of `base.py`, listed once in `DRIVERS`. Adding one = one module + one entry."""

from __future__ import annotations

from collections.abc import Callable

from quantmatrix.runtime.drivers import command, process
from quantmatrix.runtime.drivers.base import DeploySpec, Driver, DriverContext, DriverError, DriverRefused, Observed

DRIVERS: dict[str, Callable[[DriverContext], Driver]] = {
    "process": process.ProcessDriver,
    "command": command.CommandDriver,
}


def driver_for(context: DriverContext) -> Driver:
    """The driver the environment's `runtime.driver` names."""
    return DRIVERS[context.runtime.driver](context)


__all__ = ["DRIVERS", "DeploySpec", "Driver", "DriverContext", "DriverError", "DriverRefused", "Observed", "driver_for"]
