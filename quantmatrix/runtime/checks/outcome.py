"""What an assessor returns: a verdict and one line saying why (the runner adds name and time)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from quantmatrix.runtime.checks.probe import Context
from quantmatrix.runtime.checks.result import Category, HealthStatus


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str
    status: HealthStatus | None = None  # health checks only

    @staticmethod
    def health(status: HealthStatus, message: str) -> Outcome:
        return Outcome(status == "healthy", message, status)


Assess = Callable[[Context], Awaitable[Outcome]]
Applies = Callable[[Context], bool]


def always(ctx: Context) -> bool:
    return True


@dataclass(frozen=True)
class Check:
    category: Category
    assess: Assess
    applies: Applies = always
