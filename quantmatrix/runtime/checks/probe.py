"""HTTP for the checks: one shared `httpx.AsyncClient`, bounded retries with backoff, and one
fetch per URL shared by every check that reads it (the API's /health feeds nine checks).

Fail closed: a refused connection, a timeout, a non-JSON answer where JSON is due, all
become an `Answer` with a `problem`; nothing here raises to the check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from quantmatrix.model import Environment
from quantmatrix.render.inert import one_line
from quantmatrix.runtime.checks.result import CheckSettings

Sleep = Callable[[float], Awaitable[None]]
Probe = Callable[[], object]  # raises when the service is not usable (Redis PING, SELECT 1)
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Target:
    """Where the running system answers, and what the checks may expect of it.

    `expected_positions` / `expected_orders` are what the caller knows to be there (the
    reconciler's snapshot before a change; a fresh dry-run has none): anything else is
    unexpected. `redis` / `postgres` are probes; a required service without one is missing.
    `expected_versions` (api, workers, ui → version): what the deployment put there."""

    api_url: str
    ui_url: str | None = None
    redis: Probe | None = None
    postgres: Probe | None = None
    expected_positions: Mapping[str, float] = field(default_factory=dict)
    expected_orders: frozenset[str] = frozenset()
    expected_versions: Mapping[str, str] = field(default_factory=dict)  # component → version (health.versions)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all
    body: Any = None  # parsed JSON, or the text for HTML
    problem: str = ""  # why there is no usable answer ("" when there is one)
    unreachable: bool = False  # connection refused / DNS: the service is not there
    timed_out: bool = False


@dataclass
class Context:
    client: httpx.AsyncClient
    target: Target
    environment: Environment
    settings: CheckSettings
    sleep: Sleep = asyncio.sleep
    _shared: dict[str, asyncio.Task[Answer]] = field(default_factory=dict)

    def api(self, path: str) -> str:
        return self.target.api_url.rstrip("/") + path

    async def get(self, url: str, *, html: bool = False) -> Answer:
        """GET once per run per URL, shared by every check that asks."""
        if url not in self._shared:
            self._shared[url] = asyncio.ensure_future(self.request("GET", url, html=html))
        return await asyncio.shield(self._shared[url])

    async def request(self, method: str, url: str, *, json: Any = None, html: bool = False) -> Answer:
        """With retries: after a transport error or a 502/503/504, wait backoff × 2^(n-1)."""
        answer = Answer(None, problem="not tried")
        for attempt in range(self.settings.retries + 1):
            if attempt:
                await self.sleep(self.settings.backoff_seconds * 2 ** (attempt - 1))
            answer = await self._once(method, url, json, html)
            if answer.status is not None and answer.status not in RETRY_STATUSES:
                return answer
        return answer

    async def _once(self, method: str, url: str, body: Any, html: bool) -> Answer:
        try:
            response = await self.client.request(method, url, json=body)
        except httpx.TimeoutException:
            return Answer(None, problem=f"no answer within {self.settings.timeout_seconds:g} s", timed_out=True)
        except httpx.TransportError as error:
            return Answer(None, problem=f"unreachable ({type(error).__name__})", unreachable=True)
        if html:
            return Answer(response.status_code, response.text[:1_000_000])
        try:
            return Answer(response.status_code, response.json())
        except ValueError:
            return Answer(response.status_code, None, problem=f"HTTP {response.status_code} and the body is not JSON")


def inert(value: object, limit: int = 200) -> str:
    """Text a service sent, made safe to print and store: bounded, redacted, one line, control
    and bidi characters as visible escapes (a hostile service must not rewrite the operator's
    terminal) — the project's one definition, `render.inert.one_line`."""
    text = str(value)
    return one_line(text[:limit]) + ("…" if len(text) > limit else "")


def describe(answer: Answer, what: str) -> str:
    """One line on why `answer` is not usable for `what`."""
    if answer.status is None:
        return f"{what}: {answer.problem}"
    if answer.problem:
        return f"{what}: {answer.problem}"
    message = answer.body.get("message") if isinstance(answer.body, dict) else None
    return f"{what}: HTTP {answer.status}" + (f" ({inert(message)})" if message else "")
