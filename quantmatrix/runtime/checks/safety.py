"""Trading safety (guide §12, and the §13 rollback triggers): checks that catch a service
that lies. The expected values come from the desired state, never from the service."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from quantmatrix.runtime.checks.outcome import Outcome
from quantmatrix.runtime.checks.probe import Context, describe, inert
from quantmatrix.runtime.checks.uipage import count_elements, find_banner

RISK_FIELDS = (
    "max_order_notional",
    "max_position_notional",
    "max_gross_exposure",
    "max_daily_loss",
    "max_orders_per_minute",
)
MAX_PROBES = 25  # blocked symbols probed per pass (the loaded list is compared in full)


async def mode_displayed(ctx: Context) -> Outcome:
    """The mode in the API's /health, in every component it reports, and in the UI banner."""
    mode = ctx.environment.spec.mode.value
    problems: list[str] = []
    health = await ctx.get(ctx.api("/health"))
    if health.status is None or not isinstance(health.body, dict):
        problems.append(
            describe(health, "API /health") if health.status is None else "API /health: not a health report"
        )
    else:
        if health.body.get("mode") != mode:
            problems.append(f"API /health reports mode {inert(health.body.get('mode'), 20)!r}, expected {mode!r}")
        components = health.body.get("components")
        for name, entry in sorted(components.items()) if isinstance(components, dict) else []:
            if isinstance(entry, dict) and "mode" in entry and entry["mode"] != mode:
                problems.append(f"{inert(name, 40)} reports mode {inert(entry['mode'], 20)!r}, expected {mode!r}")
    if not ctx.target.ui_url:
        problems.append("no UI URL given: the banner cannot be checked")
    else:
        page = await ctx.get(ctx.target.ui_url.rstrip("/") + "/", html=True)
        banner = find_banner(str(page.body)) if page.status == 200 else None
        expected = ctx.environment.spec.ui.banner
        if page.status != 200:
            problems.append(describe(page, "UI"))
        elif banner is None:
            problems.append("the UI shows no mode banner (exactly one #mode-banner expected)")
        else:
            if " ".join(banner.text.split()) != " ".join(expected.split()):
                problems.append(f"the UI banner says {inert(banner.text, 80)!r}, expected {expected!r}")
            if banner.mode is not None and banner.mode != mode:
                problems.append(f"the UI banner is marked mode {inert(banner.mode, 20)!r}, expected {mode!r}")
    if problems:
        return Outcome(False, "; ".join(problems))
    return Outcome(True, f"mode {mode!r} in the API's /health, every component, and the UI banner")


def _rows(answer_body: Any, key: str) -> list[dict[str, Any]] | None:
    rows = answer_body.get(key) if isinstance(answer_body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return None
    return rows


async def no_unexpected_positions(ctx: Context) -> Outcome:
    answer = await ctx.get(ctx.api("/api/positions"))
    rows = _rows(answer.body, "positions") if answer.status == 200 else None
    if rows is None:
        return Outcome(
            False,
            describe(answer, "positions (/api/positions)")
            if answer.status != 200
            else "positions: not a list of positions",
        )
    expected = {symbol.upper(): quantity for symbol, quantity in ctx.target.expected_positions.items()}
    held = {inert(row.get("symbol"), 20).upper(): row.get("quantity") for row in rows}
    blocked = {s.upper() for s in ctx.environment.spec.blocked_symbols}
    unexpected = [
        f"{symbol} {inert(quantity, 20)}"
        for symbol, quantity in sorted(held.items())
        if not _same(quantity, expected.get(symbol, 0.0)) or symbol in blocked
    ]
    missing = [
        f"{symbol} {quantity:g}" for symbol, quantity in sorted(expected.items()) if symbol not in held and quantity
    ]
    if unexpected or missing:
        parts = ([f"unexpected positions: {', '.join(unexpected[:10])}"] if unexpected else []) + (
            [f"expected positions missing: {', '.join(missing[:10])}"] if missing else []
        )
        return Outcome(False, "; ".join(parts))
    return Outcome(True, f"{len(held)} position(s), all expected")


async def no_unexpected_orders(ctx: Context) -> Outcome:
    answer = await ctx.get(ctx.api("/api/orders"))
    rows = _rows(answer.body, "orders") if answer.status == 200 else None
    if rows is None:
        return Outcome(
            False, describe(answer, "orders (/api/orders)") if answer.status != 200 else "orders: not a list of orders"
        )
    open_orders = [row for row in rows if row.get("status") not in ("filled", "cancelled", "rejected")]
    unexpected = [
        f"{inert(row.get('id'), 40)} ({inert(row.get('symbol'), 12)})"
        for row in open_orders
        if row.get("id") not in ctx.target.expected_orders
    ]
    if unexpected:
        return Outcome(False, f"unexpected open orders: {', '.join(unexpected[:10])}")
    return Outcome(True, f"{len(open_orders)} open order(s), all expected")


async def blocked_symbols_enforced(ctx: Context) -> Outcome:
    """The loaded list is the desired one, and a validate-only probe for each blocked symbol
    is refused as blocked. Never a real order: a service without validate-only fails."""
    desired = sorted({s.upper() for s in ctx.environment.spec.blocked_symbols})
    risk = await ctx.get(ctx.api("/api/risk"))
    loaded = risk.body.get("blocked_symbols") if risk.status == 200 and isinstance(risk.body, dict) else None
    if not isinstance(loaded, list):
        return Outcome(
            False,
            describe(risk, "blocked symbols (/api/risk)")
            if risk.status != 200
            else "/api/risk has no blocked_symbols list",
        )
    problems = []
    missing = sorted(set(desired) - {str(s).upper() for s in loaded})
    if missing:
        problems.append(f"not loaded: {', '.join(missing[:10])}")
    probes = await asyncio.gather(*(_probe(ctx, symbol) for symbol in desired[:MAX_PROBES]))
    problems.extend(problem for problem in probes if problem)
    if problems:
        return Outcome(False, "; ".join(problems))
    if not desired:
        return Outcome(True, "no blocked symbols configured")
    return Outcome(
        True, f"{len(desired)} blocked symbol(s) loaded; probe orders refused ({', '.join(desired[:MAX_PROBES])})"
    )


async def _probe(ctx: Context, symbol: str) -> str:
    order = {"symbol": symbol, "side": "buy", "quantity": 1, "type": "limit", "limit_price": 1.0}
    answer = await ctx.request("POST", ctx.api("/api/orders/validate"), json=order)
    code = answer.body.get("error") if isinstance(answer.body, dict) else None
    if answer.status in (404, 405):
        return f"{symbol}: no validate-only endpoint (/api/orders/validate); not probing with a real order"
    if answer.status is not None and 200 <= answer.status < 300:
        return f"a probe order for blocked symbol {symbol} was accepted"
    if code != "blocked_symbol":
        return describe(answer, f"{symbol}: the probe was not refused as blocked")
    return ""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


async def risk_limits_loaded(ctx: Context) -> Outcome:
    answer = await ctx.get(ctx.api("/api/risk"))
    limits = answer.body.get("limits") if answer.status == 200 and isinstance(answer.body, dict) else None
    if not isinstance(limits, dict):
        return Outcome(
            False, describe(answer, "risk limits (/api/risk)") if answer.status != 200 else "/api/risk has no limits"
        )
    risk = ctx.environment.spec.risk
    wrong = [
        f"{name} is {inert(limits.get(name, 'missing'), 30)}, configured {getattr(risk, name):g}"
        for name in RISK_FIELDS
        if not _same(limits.get(name), getattr(risk, name))
    ]
    if wrong:
        return Outcome(False, "risk limits not as configured: " + "; ".join(wrong))
    return Outcome(True, f"{len(RISK_FIELDS)} risk limits loaded as configured")


async def reconciliation(ctx: Context) -> Outcome:
    """§13: positions and orders reconcile with the broker."""
    answer = await ctx.get(ctx.api("/api/reconciliation"))
    body = answer.body if answer.status == 200 and isinstance(answer.body, dict) else {}
    if not isinstance(body.get("in_sync"), bool):
        return Outcome(
            False,
            describe(answer, "reconciliation (/api/reconciliation)")
            if answer.status != 200
            else "reconciliation: no in_sync verdict",
        )
    if not body["in_sync"]:
        reported = body.get("mismatches")
        mismatches: list[Any] = reported if isinstance(reported, list) else []
        shown = ", ".join(
            f"{inert(m.get('symbol'), 20)} ledger {inert(m.get('ledger'), 20)} broker {inert(m.get('broker'), 20)}"
            for m in mismatches[:10]
            if isinstance(m, dict)
        )
        return Outcome(False, "positions do not reconcile with the broker" + (f": {shown}" if shown else ""))
    return Outcome(True, "positions and orders reconcile with the broker")


async def no_duplicate_orders(ctx: Context) -> Outcome:
    """§13 "order duplication risk": one client order id, one order at the broker."""
    answer = await ctx.get(ctx.api("/api/orders"))
    rows = _rows(answer.body, "orders") if answer.status == 200 else None
    if rows is None:
        return Outcome(
            False, describe(answer, "orders (/api/orders)") if answer.status != 200 else "orders: not a list of orders"
        )
    seen: dict[str, int] = {}
    for row in rows:
        key = row.get("client_order_id")
        if isinstance(key, str) and key:
            seen[key] = seen.get(key, 0) + 1
    duplicated = sorted(key for key, count in seen.items() if count > 1)
    if duplicated:
        return Outcome(
            False, f"client order ids sent more than once: {', '.join(inert(key, 64) for key in duplicated[:10])}"
        )
    return Outcome(True, f"{len(rows)} order(s), no client order id twice")


async def operator_controls(ctx: Context) -> Outcome:
    """§9/§13: the emergency halt is visible in the UI (a control that disappears is a rollback trigger)."""
    if not ctx.target.ui_url:
        return Outcome(False, "no UI URL given: the operator controls cannot be checked")
    page = await ctx.get(ctx.target.ui_url.rstrip("/") + "/", html=True)
    if page.status != 200:
        return Outcome(False, describe(page, "UI"))
    halts = count_elements(str(page.body), "emergency-halt")
    if halts != 1:
        return Outcome(
            False,
            "the UI shows no emergency halt control (#emergency-halt)"
            if not halts
            else f"the UI shows {halts} emergency halt controls",
        )
    return Outcome(True, "the emergency halt control is on the page")
