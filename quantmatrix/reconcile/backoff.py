"""Bounded exponential backoff with jitter, for a loop that must outlive its services.

The random source is passed in, so tests see exact delays; the loop sleeps on its own
(interruptible) wait, never here."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 0.2
    cap: float = 10.0
    uniform: Callable[[float, float], float] = field(default=random.uniform)
    failures: int = 0

    def next_delay(self) -> float:
        """The wait after one more failure: min(cap, base * 2^n), jittered down to half of it."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 30))
        self.failures += 1
        return self.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self.failures > 0
