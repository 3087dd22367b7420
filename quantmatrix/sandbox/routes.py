"""The endpoints: the API's screens and orders, the UI page, health, and the admin routes.

Each route is a plain function `(sandbox, body, arg) -> Reply`; `ROUTES` maps
(method, path) to it, `PREFIX_ROUTES` the paths that end in an id.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quantmatrix.sandbox.banner import BANNERS, banner_css
from quantmatrix.sandbox.faults import FaultError
from quantmatrix.sandbox.health import health_document
from quantmatrix.sandbox.market import STARTING_CASH, demo_price, radar
from quantmatrix.sandbox.orders import BadOrder, admit, parse_order
from quantmatrix.sandbox.state import Sandbox


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # JSON-able; a str is sent as HTML
    after: Callable[[], None] | None = None  # run once the reply is sent (crash)


Route = Callable[[Sandbox, Any, str], Reply]


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": code, "message": message})


def health(sb: Sandbox, body: Any, arg: str) -> Reply:
    document = health_document(sb)
    return Reply(200 if document["status"] == "healthy" else 503, document)


def ui_page(sb: Sandbox, body: Any, arg: str) -> Reply:
    if sb.faults.get("unhealthy") is not None:
        return Reply(503, "<!doctype html><title>QuantMatrix</title><p>Service unavailable</p>")
    mode = sb.faults.get("wrong_mode") or sb.config.mode
    banner = sb.config.shown_banner if mode == sb.config.mode else BANNERS[mode]
    return Reply(
        200,
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>QuantMatrix</title>\n'
        f"<style>{banner_css()}</style></head>\n<body>\n"
        f'<div id="mode-banner" class="banner banner-{html.escape(mode)}" data-mode="{html.escape(mode)}">{html.escape(banner)}</div>\n'
        f"<main><h1>QuantMatrix</h1><p>UI {html.escape(sb.config.version)}</p>\n"
        '<nav><a href="/account">Account</a> <a href="/orders">Orders</a> <a href="/positions">Positions</a> '
        '<a href="/risk">Risk</a> <a href="/settings">Settings</a> <a href="/radar">Momentum Radar</a></nav>\n'
        + (
            ""
            if sb.faults.get("no_halt_control") is not None
            else '<button id="emergency-halt">Emergency halt</button>'
        )
        + "</main>\n</body></html>\n",
    )


def _positions(sb: Sandbox) -> dict[str, float]:
    positions = sb.broker.positions()
    extra = sb.faults.get("unexpected_position")
    if extra:
        positions[extra] = positions.get(extra, 0.0) + 100
    return positions


def _orders(sb: Sandbox) -> list[dict[str, Any]]:
    orders = [order.as_json() for order in sb.broker.orders()]
    extra = sb.faults.get("unexpected_order")
    if extra:
        orders.append(
            {
                "id": "ord-unknown",
                "symbol": extra,
                "side": "buy",
                "quantity": 50.0,
                "type": "limit",
                "limit_price": demo_price(extra),
                "status": "open",
                "fill_price": None,
                "client_order_id": "unknown-1",
            }
        )
    twice = sb.faults.get("duplicate_order")
    if twice:
        for n in (1, 2):  # the same client order id sent twice, and both reached the broker
            orders.append(
                {
                    "id": f"ord-dup-{n}",
                    "symbol": twice,
                    "side": "buy",
                    "quantity": 10.0,
                    "type": "limit",
                    "limit_price": demo_price(twice),
                    "status": "open",
                    "fill_price": None,
                    "client_order_id": "dup-1",
                }
            )
    return orders


def account(sb: Sandbox, body: Any, arg: str) -> Reply:
    positions = _positions(sb)
    value = sum(q * demo_price(s) for s, q in positions.items())
    cash = STARTING_CASH - sum(
        (1 if o.side == "buy" else -1) * o.quantity * (o.fill_price or 0)
        for o in sb.broker.orders()
        if o.status == "filled"
    )
    return Reply(
        200,
        {
            "account": sb.config.account,
            "mode": sb.config.mode,
            "currency": "USD",
            "cash": round(cash, 2),
            "equity": round(cash + value, 2),
            "buying_power": round(cash, 2),
            "broker": "dry-run",
        },
    )


def list_orders(sb: Sandbox, body: Any, arg: str) -> Reply:
    return Reply(200, {"orders": _orders(sb)})


def list_positions(sb: Sandbox, body: Any, arg: str) -> Reply:
    return Reply(
        200,
        {
            "positions": [
                {"symbol": s, "quantity": q, "price": demo_price(s), "market_value": round(q * demo_price(s), 2)}
                for s, q in sorted(_positions(sb).items())
            ]
        },
    )


def _admission(sb: Sandbox, body: Any) -> tuple[Any, Reply | None]:
    try:
        order = parse_order(body)
    except BadOrder as error:
        return None, _error(422, "bad_order", str(error))
    refusal = admit(
        order,
        sb.control(),
        sb.config.mode,
        sb.broker.position(order.symbol),
        enforce_blocked=sb.faults.get("ignore_blocked_symbols") is None,
    )
    return order, None if refusal is None else _error(refusal.status, refusal.code, refusal.message)


def place_order(sb: Sandbox, body: Any, arg: str) -> Reply:
    order, refused = _admission(sb, body)
    if refused is not None:
        return refused
    placed = sb.broker.place(
        order.symbol, order.side, order.quantity, order.type, order.limit_price, order.client_order_id
    )
    if placed is None:
        return _error(
            409, "duplicate_order", f"client_order_id {order.client_order_id!r} was already used: not placed again"
        )
    return Reply(201, {"order": placed.as_json()})


def validate_order(sb: Sandbox, body: Any, arg: str) -> Reply:
    """Validate-only: the same admission as a real order, and nothing is placed."""
    _, refused = _admission(sb, body)
    return refused if refused is not None else Reply(200, {"accepted": True, "placed": False})


def cancel_order(sb: Sandbox, body: Any, arg: str) -> Reply:
    order = sb.broker.cancel(arg)
    if order is None:
        return _error(404, "not_found", f"no order '{arg[:40]}'")
    return Reply(200, {"order": order.as_json()})


def risk(sb: Sandbox, body: Any, arg: str) -> Reply:
    control = sb.control()
    if control.state is None:
        return _error(503, "control_unavailable", f"no risk limits loaded: {control.problem}")
    limits = dict(control.state.risk_limits)
    if sb.faults.get("ignore_risk_limits") is not None:
        limits = {"max_order_notional": 1_000_000, "max_position_notional": 5_000_000, "max_daily_loss": 100_000}
    return Reply(
        200,
        {
            "limits": limits,
            "blocked_symbols": list(control.state.blocked_symbols),
            "trading": control.trading,
            "reason": control.state.reason,
            "control_version": control.state.version,
        },
    )


def settings(sb: Sandbox, body: Any, arg: str) -> Reply:
    return Reply(
        200,
        {
            "mode": sb.config.mode,
            "version": sb.config.version,
            "config_version": sb.config.config_version,
            "broker": "dry-run",
            "market_data": "demo",
            "account": sb.config.account,
        },
    )


def momentum_radar(sb: Sandbox, body: Any, arg: str) -> Reply:
    return Reply(200, {"signals": radar()})


def watchlist(sb: Sandbox, body: Any, arg: str) -> Reply:
    with sb.lock:
        return Reply(200, {"symbols": list(sb.watchlist)})


def watch(sb: Sandbox, body: Any, arg: str) -> Reply:
    symbol = body.get("symbol") if isinstance(body, dict) else None
    if not isinstance(symbol, str) or not symbol.isascii() or not symbol.isalnum() or len(symbol) > 12:
        return _error(422, "bad_symbol", "'symbol' must be a ticker such as AAPL")
    with sb.lock:
        if symbol.upper() not in sb.watchlist:
            if len(sb.watchlist) >= 200:
                return _error(422, "watchlist_full", "the watchlist holds at most 200 symbols")
            sb.watchlist.append(symbol.upper())
        return Reply(200, {"symbols": list(sb.watchlist)})


def unwatch(sb: Sandbox, body: Any, arg: str) -> Reply:
    with sb.lock:
        if arg.upper() not in sb.watchlist:
            return _error(404, "not_found", "symbol not on the watchlist")
        sb.watchlist.remove(arg.upper())
        return Reply(200, {"symbols": list(sb.watchlist)})


def reconciliation(sb: Sandbox, body: Any, arg: str) -> Reply:
    """The ledger (what the engine recorded) against the broker's positions."""
    ledger = _positions(sb)
    broker = dict(ledger)
    drift = sb.faults.get("reconciliation_mismatch")
    if drift:
        broker[drift] = broker.get(drift, 0.0) + 7
    mismatches = [
        {"symbol": s, "ledger": ledger.get(s, 0.0), "broker": broker.get(s, 0.0)}
        for s in sorted(set(ledger) | set(broker))
        if ledger.get(s, 0.0) != broker.get(s, 0.0)
    ]
    return Reply(
        200,
        {
            "in_sync": not mismatches,
            "mismatches": mismatches,
            "positions": len(ledger),
            "open_orders": sum(1 for o in _orders(sb) if o["status"] == "open"),
        },
    )


def list_faults(sb: Sandbox, body: Any, arg: str) -> Reply:
    return Reply(200, {"component": sb.config.component, "faults": sb.faults.active()})


def add_fault(sb: Sandbox, body: Any, arg: str) -> Reply:
    fault = body.get("fault") if isinstance(body, dict) else None
    if not isinstance(fault, str):
        return _error(422, "bad_fault", 'the body must be {"fault": "KIND[=VALUE]"}')
    try:
        kind, value = sb.faults.add(fault)
    except FaultError as error:
        return _error(422, "bad_fault", str(error))
    if kind == "crash":
        return Reply(
            202,
            {"faults": sb.faults.active(), "crashing_in_seconds": float(value)},
            after=lambda: crash_after(float(value)),
        )
    return Reply(200, {"component": sb.config.component, "faults": sb.faults.active()})


def clear_faults(sb: Sandbox, body: Any, arg: str) -> Reply:
    sb.faults.clear()
    return Reply(200, {"component": sb.config.component, "faults": {}})


def reset(sb: Sandbox, body: Any, arg: str) -> Reply:
    sb.reset()
    return Reply(200, {"component": sb.config.component, "reset": True})


def crash_after(seconds: float) -> None:
    """Exit abruptly, as a crashing process does: no clean-up, status 1."""
    timer = threading.Timer(max(seconds, 0.05), lambda: os._exit(1))
    timer.daemon = True
    timer.start()


_ADMIN: dict[tuple[str, str], Route] = {
    ("GET", "/_sandbox/faults"): list_faults,
    ("POST", "/_sandbox/faults"): add_fault,
    ("DELETE", "/_sandbox/faults"): clear_faults,
    ("POST", "/_sandbox/reset"): reset,
}

ROUTES: dict[str, dict[tuple[str, str], Route]] = {
    "api": {
        ("GET", "/health"): health,
        ("GET", "/api/account"): account,
        ("GET", "/api/orders"): list_orders,
        ("POST", "/api/orders"): place_order,
        ("POST", "/api/orders/validate"): validate_order,
        ("GET", "/api/positions"): list_positions,
        ("GET", "/api/risk"): risk,
        ("GET", "/api/settings"): settings,
        ("GET", "/api/radar"): momentum_radar,
        ("GET", "/api/watchlist"): watchlist,
        ("POST", "/api/watchlist"): watch,
        ("GET", "/api/reconciliation"): reconciliation,
        **_ADMIN,
    },
    "workers": {("GET", "/health"): health, **_ADMIN},
    "ui": {("GET", "/health"): health, ("GET", "/"): ui_page, **_ADMIN},
}

# paths ending in an id: (method, prefix) → route, the rest of the path is the argument
PREFIX_ROUTES: dict[str, dict[tuple[str, str], Route]] = {
    "api": {("DELETE", "/api/orders/"): cancel_order, ("DELETE", "/api/watchlist/"): unwatch},
    "workers": {},
    "ui": {},
}

# the screen each API path serves (for the broken_screen fault)
SCREEN_OF = {
    "/api/account": "account",
    "/api/orders": "orders",
    "/api/positions": "positions",
    "/api/risk": "risk",
    "/api/settings": "settings",
    "/api/radar": "radar",
    "/api/watchlist": "watchlist",
    "/api/reconciliation": "reconciliation",
}
