"""Every check of guide §12 (and §7 for local, §13's reconciliation), in one dict, and the
runner: all applicable checks at once over one HTTP client, each under its deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import httpx

from quantmatrix.model import Environment
from quantmatrix.runtime.checks import health, safety, smoke
from quantmatrix.runtime.checks.outcome import Check, Outcome
from quantmatrix.runtime.checks.probe import Context, Sleep, Target
from quantmatrix.runtime.checks.result import CheckResult, CheckSettings

CHECKS: dict[str, Check] = {
    # core health
    "health.api": Check("health", health.component("api")),
    "health.versions": Check("health", health.versions, health.versions_expected),
    "health.redis": Check("health", health.service("Redis", "redis"), health.service_applies("redis")),
    "health.postgres": Check("health", health.service("PostgreSQL", "postgres"), health.service_applies("postgres")),
    "health.market_data": Check("health", health.component("market_data")),
    "health.broker": Check("health", health.component("broker")),
    "health.risk_manager": Check("health", health.component("risk_manager")),
    "health.scanner": Check("health", health.component("scanner")),
    "health.strategy_allocator": Check("health", health.component("strategy_allocator")),
    "health.analytics_pipeline": Check("health", health.component("analytics_pipeline")),
    # functional smoke
    "smoke.ui_loads": Check("smoke", smoke.ui_loads),
    "smoke.account_summary": Check(
        "smoke",
        smoke.screen("/api/account", "account summary", {"account": str, "equity": (int, float), "cash": (int, float)}),
    ),
    "smoke.orders": Check("smoke", smoke.screen("/api/orders", "orders", {"orders": list})),
    "smoke.positions": Check("smoke", smoke.screen("/api/positions", "positions", {"positions": list})),
    "smoke.risk": Check("smoke", smoke.screen("/api/risk", "risk", {"limits": dict})),
    "smoke.settings": Check("smoke", smoke.screen("/api/settings", "settings", {"mode": str})),
    "smoke.momentum_radar": Check(
        "smoke", smoke.screen("/api/radar", "Momentum Radar", {"signals": list}), smoke.local_only
    ),
    "smoke.watchlist": Check("smoke", smoke.watchlist_flow, smoke.local_only),
    # trading safety
    "safety.mode_displayed": Check("safety", safety.mode_displayed),
    "safety.no_unexpected_positions": Check("safety", safety.no_unexpected_positions),
    "safety.no_unexpected_orders": Check("safety", safety.no_unexpected_orders),
    "safety.blocked_symbols_enforced": Check("safety", safety.blocked_symbols_enforced),
    "safety.risk_limits_loaded": Check("safety", safety.risk_limits_loaded),
    "safety.reconciliation": Check("safety", safety.reconciliation),
    "safety.no_duplicate_orders": Check("safety", safety.no_duplicate_orders),
    "safety.operator_controls": Check("safety", safety.operator_controls),
}

# Guide §13 "trigger rollback if": the checks whose failure is that trigger (for the reconciler
# deciding between rollback and halt, during an apply and in the monitoring window).
ROLLBACK_TRIGGERS: dict[str, tuple[str, ...]] = {
    "order_duplication_risk": ("safety.no_duplicate_orders", "safety.no_unexpected_orders"),
    "reconciliation_broken": ("safety.reconciliation", "safety.no_unexpected_positions"),
    "risk_manager_unreliable": ("health.risk_manager", "safety.risk_limits_loaded", "safety.blocked_symbols_enforced"),
    "broker_unstable": ("health.broker", "health.market_data"),
    "operator_controls_missing_or_misleading": ("safety.mode_displayed", "safety.operator_controls", "smoke.ui_loads"),
}


def triggered(results: Iterable[CheckResult]) -> list[str]:
    """The §13 rollback triggers that these results fire (in the table's order)."""
    failed = {result.name for result in results if not result.passed}
    return [trigger for trigger, names in ROLLBACK_TRIGGERS.items() if failed.intersection(names)]


async def run_checks_async(
    target: Target,
    environment: Environment,
    settings: CheckSettings | None = None,
    *,
    names: Iterable[str] | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> list[CheckResult]:
    """Run the applicable checks (or only `names`) concurrently; results in registry order."""
    settings = settings or CheckSettings()
    wanted = list(CHECKS) if names is None else list(names)
    unknown = [name for name in wanted if name not in CHECKS]
    if unknown:
        raise KeyError(f"unknown check(s): {', '.join(unknown)}")
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    async with httpx.AsyncClient(
        timeout=settings.timeout_seconds, limits=limits, follow_redirects=False, trust_env=False
    ) as client:
        ctx = Context(client, target, environment, settings, sleep)
        selected = [name for name in wanted if CHECKS[name].applies(ctx)]
        return list(await asyncio.gather(*(_run_one(ctx, name, CHECKS[name], clock) for name in selected)))


async def _run_one(ctx: Context, name: str, check: Check, clock: Callable[[], float]) -> CheckResult:
    started = clock()
    try:
        outcome = await asyncio.wait_for(check.assess(ctx), ctx.settings.deadline_seconds)
    except TimeoutError:
        outcome = Outcome(
            False,
            f"no verdict within the {ctx.settings.deadline_seconds:g} s deadline",
            "degraded" if check.category == "health" else None,
        )
    except Exception as error:  # an assessor's bug must fail its check, never pass it or stop the others
        outcome = Outcome(
            False,
            f"the check itself failed ({type(error).__name__})",
            "degraded" if check.category == "health" else None,
        )
    return CheckResult(
        name=name,
        category=check.category,
        status=outcome.status,
        passed=outcome.passed,
        duration_seconds=max(clock() - started, 0.0),
        message=outcome.message,
    )


def run_checks(
    target: Target,
    environment: Environment,
    settings: CheckSettings | None = None,
    *,
    names: Iterable[str] | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> list[CheckResult]:
    """`run_checks_async` for synchronous callers (the reconciler, the CLI)."""
    return asyncio.run(run_checks_async(target, environment, settings, names=names, sleep=sleep, clock=clock))
