"""Failed-authentication throttling for the status page's halt action.

A wrong bearer token costs the sender: after `per_client` failures within `window` seconds
from one remote address, that address is refused (429, `Retry-After`) without its token being
looked at, for `window` seconds, doubling with each further lockout up to `max_lockout`. Many
addresses together (a spread-out guess) meet the global cap: `global_limit` failures within
`window` from anywhere close the action to everyone for `window` seconds. One address alone
can never reach the global cap (it is locked out long before), so it cannot lock the
operators out; only a spread-out attack can, and then `qm halt` still works from a shell.

The address is the TCP peer: behind a proxy every client is the proxy (X-Forwarded-For is not
trusted, since anyone can send it), and the per-address limit then acts as a second global one.
Time is passed in (`clock`, monotonic seconds) so that tests move it instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_CLIENTS = 10_000  # addresses remembered at once; past it, forgotten first: the expired ones


@dataclass
class _Client:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    lockouts: int = 0
    last_failure: float = 0.0


@dataclass(frozen=True)
class Lockout:
    """What a refusal says: who is locked out (`client`, or everyone) and for how long."""

    retry_after: int  # whole seconds, at least 1 (the Retry-After header)
    everyone: bool


class Throttle:
    def __init__(
        self,
        per_client: int = 10,
        global_limit: int = 100,
        window: float = 60.0,
        max_lockout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_client < 1 or global_limit < per_client or window <= 0 or max_lockout < window:
            raise ValueError("throttle: need 1 <= per_client <= global_limit, window > 0, max_lockout >= window")
        self.per_client, self.global_limit, self.window, self.max_lockout = (
            per_client,
            global_limit,
            window,
            max_lockout,
        )
        self.clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, _Client] = {}
        self._failures: deque[float] = deque()
        self._closed_until = 0.0

    def locked_out(self, client: str) -> Lockout | None:
        """Refuse `client` now? (Asked before the token is compared.)"""
        now = self.clock()
        with self._lock:
            if self._closed_until > now:
                return Lockout(_seconds(self._closed_until - now), everyone=True)
            known = self._clients.get(client)
            if known is not None and known.blocked_until > now:
                return Lockout(_seconds(known.blocked_until - now), everyone=False)
        return None

    def failed(self, client: str) -> tuple[int, Lockout | None]:
        """Count a failed attempt; returns the client's failures in the window and the lockout
        it started, if any."""
        now = self.clock()
        with self._lock:
            _expire(self._failures, now - self.window)
            self._failures.append(now)
            known = self._clients.get(client)
            if known is None:
                self._forget(now)
                known = self._clients.setdefault(client, _Client())
            if now - known.last_failure > self.max_lockout:
                known.lockouts = 0  # quiet for long: starts over
            known.last_failure = now
            _expire(known.failures, now - self.window)
            known.failures.append(now)
            count = len(known.failures)
            started: Lockout | None = None
            if count >= self.per_client:
                known.lockouts += 1
                seconds = min(self.window * 2 ** (known.lockouts - 1), self.max_lockout)
                known.blocked_until, started = now + seconds, Lockout(_seconds(seconds), everyone=False)
                known.failures.clear()
            if len(self._failures) >= self.global_limit:
                self._closed_until, started = now + self.window, Lockout(_seconds(self.window), everyone=True)
                self._failures.clear()
            return count, started

    def succeeded(self, client: str) -> None:
        """The right token: the client's failures are forgiven (the global count is not)."""
        with self._lock:
            self._clients.pop(client, None)

    def _forget(self, now: float) -> None:
        if len(self._clients) < MAX_CLIENTS:
            return
        for name in [
            n for n, c in self._clients.items() if c.blocked_until <= now and c.last_failure < now - self.window
        ]:
            del self._clients[name]
        while len(self._clients) >= MAX_CLIENTS:  # all recent: the oldest entry goes
            del self._clients[next(iter(self._clients))]


def _expire(moments: deque[float], before: float) -> None:
    while moments and moments[0] <= before:
        moments.popleft()


def _seconds(delay: float) -> int:
    return max(1, math.ceil(delay))
