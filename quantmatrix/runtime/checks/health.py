"""Core health (guide §12): the API, Redis, PostgreSQL and each workers subsystem.

Statuses as Argo CD assesses them: healthy, progressing, degraded, missing. The API's
`/health` reports every component (it aggregates the workers' and the UI's reports); a
component it does not report, or an API that does not answer, is missing — never healthy.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from quantmatrix.runtime.checks.outcome import Assess, Outcome
from quantmatrix.runtime.checks.probe import Context, Probe, describe, inert
from quantmatrix.runtime.checks.result import HealthStatus

STATUSES: tuple[HealthStatus, ...] = ("healthy", "progressing", "degraded", "missing")


async def _health_document(ctx: Context) -> tuple[dict[str, Any] | None, Outcome | None]:
    answer = await ctx.get(ctx.api("/health"))
    if answer.status is None:
        return None, Outcome.health("degraded" if answer.timed_out else "missing", describe(answer, "API /health"))
    if not isinstance(answer.body, dict) or answer.body.get("status") not in STATUSES:
        return None, Outcome.health("degraded", f"API /health: HTTP {answer.status}, not a health report")
    return answer.body, None


def component(name: str) -> Assess:
    """The assessor of one component as the API's /health reports it."""

    async def assess(ctx: Context) -> Outcome:
        document, failed = await _health_document(ctx)
        if failed is not None:
            return failed
        assert document is not None
        entries = document.get("components")
        entry = entries.get(name) if isinstance(entries, dict) else None
        if not isinstance(entry, dict):
            return Outcome.health("missing", f"{name} is not in the API's /health report")
        status = entry.get("status")
        if status not in STATUSES:
            return Outcome.health("degraded", f"{name} reports an unknown status {inert(status, 40)!r}")
        message = inert(entry.get("message") or status, 300)
        return Outcome.health(cast(HealthStatus, status), f"{name}: {message}")

    return assess


def service(name: str, attribute: str) -> Assess:
    """Redis or PostgreSQL through the probe the caller gave (a PING, a SELECT 1), retried like
    an HTTP request (`retries`, waiting backoff × 2^(n-1)): one slow answer on a busy machine
    must not fail a deployment that a second try would pass; the deadline still bounds it."""

    async def assess(ctx: Context) -> Outcome:
        probe: Probe | None = getattr(ctx.target, attribute)
        if probe is None:
            return Outcome.health("missing", f"{name} is required here and no connection to it was given (fail closed)")
        outcome = Outcome.health("missing", f"{name}: not tried")
        for attempt in range(ctx.settings.retries + 1):
            if attempt:
                await ctx.sleep(ctx.settings.backoff_seconds * 2 ** (attempt - 1))
            try:
                await asyncio.wait_for(asyncio.to_thread(probe), ctx.settings.timeout_seconds)
            except TimeoutError:
                outcome = Outcome.health("degraded", f"{name}: no answer within {ctx.settings.timeout_seconds:g} s")
            except Exception as error:  # any failure of the probe: not usable (the message never holds the URL)
                outcome = Outcome.health("missing", f"{name}: unreachable ({type(error).__name__})")
            else:
                return Outcome.health("healthy", f"{name}: answers")
        return outcome

    return assess


def service_applies(attribute: str) -> Any:
    """Checked when the environment requires the service, or when a probe was given anyway."""

    def applies(ctx: Context) -> bool:
        connection = getattr(ctx.environment.spec, attribute)
        return bool(connection.required) or getattr(ctx.target, attribute) is not None

    return applies


async def versions(ctx: Context) -> Outcome:
    """Each component runs the version it was deployed at, as the API's /health reports it."""
    document, failed = await _health_document(ctx)
    if failed is not None:
        return failed
    assert document is not None
    entries = document.get("components")
    wrong = []
    for name, expected in sorted(ctx.target.expected_versions.items()):
        entry = entries.get(name) if isinstance(entries, dict) else None
        reported = entry.get("version") if isinstance(entry, dict) else None
        if reported != expected:
            wrong.append(
                f"{name} reports {inert(reported, 40) if reported is not None else 'no version'}, expected {expected}"
            )
    if wrong:
        return Outcome.health("degraded", "; ".join(wrong))
    return Outcome.health("healthy", ", ".join(f"{n} {v}" for n, v in sorted(ctx.target.expected_versions.items())))


def versions_expected(ctx: Context) -> bool:
    return bool(ctx.target.expected_versions)
