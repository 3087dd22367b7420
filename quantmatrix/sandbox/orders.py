"""Order admission: what the trading process checks before anything reaches the broker.

Fail closed, in this order: no readable control state, a control state for another mode,
a blocked symbol (before HALTED, so that a validate-only probe proves the block even while
trading is halted during a deployment), HALTED, REDUCING with an order that does not reduce, then the risk limit
on the order's notional. `admit` returns the refusal (HTTP status, code, message) or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from quantmatrix.sandbox.control import Control
from quantmatrix.sandbox.market import demo_price


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: str
    quantity: float
    type: str = "market"
    limit_price: float | None = None
    client_order_id: str = ""


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{0,64}")


class BadOrder(ValueError):
    """The request body is not an order."""


def parse_order(body: Any) -> OrderRequest:
    if not isinstance(body, dict):
        raise BadOrder("the body must be a JSON object")
    unknown = set(body) - {"symbol", "side", "quantity", "type", "limit_price", "client_order_id"}
    if unknown:
        raise BadOrder(f"unknown field(s): {', '.join(sorted(unknown))}")
    symbol, side, quantity = body.get("symbol"), body.get("side"), body.get("quantity")
    type_, limit = body.get("type", "market"), body.get("limit_price")
    if (
        not isinstance(symbol, str)
        or not symbol.isascii()
        or not 1 <= len(symbol) <= 20
        or not symbol.replace(".", "").replace("-", "").isalnum()
    ):
        raise BadOrder("'symbol' must be a ticker such as AAPL")
    if side not in ("buy", "sell"):
        raise BadOrder("'side' must be 'buy' or 'sell'")
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or not 0 < quantity < 1e9:
        raise BadOrder("'quantity' must be a positive number")
    if type_ not in ("market", "limit"):
        raise BadOrder("'type' must be 'market' or 'limit'")
    if type_ == "limit" and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit < 1e9):
        raise BadOrder("a limit order needs a positive 'limit_price'")
    if type_ == "market" and limit is not None:
        raise BadOrder("a market order takes no 'limit_price'")
    client_id = body.get("client_order_id", "")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise BadOrder("'client_order_id' must be up to 64 letters, digits, '-', '_' or '.'")
    return OrderRequest(
        symbol.upper(), side, float(quantity), type_, None if limit is None else float(limit), client_id
    )


def admit(
    order: OrderRequest, control: Control, mode: str, position: float, *, enforce_blocked: bool = True
) -> Refusal | None:
    """Why this order must not go out, or None. `position` is the current signed position."""
    if control.state is None:
        return Refusal(503, "control_unavailable", f"not trading: {control.problem}")
    if control.mode != mode:
        return Refusal(
            409,
            "mode_mismatch",
            f"not trading: the control state is for mode '{control.mode}', this process runs '{mode}'",
        )
    if enforce_blocked and order.symbol in {s.upper() for s in control.state.blocked_symbols}:
        return Refusal(403, "blocked_symbol", f"{order.symbol} is a blocked symbol")
    if control.trading == "HALTED":
        return Refusal(403, "halted", f"trading is HALTED ({control.state.reason or 'no reason given'}): no new orders")
    if control.trading not in ("ACTIVE", "REDUCING"):
        return Refusal(503, "control_unavailable", f"not trading: unknown trading state '{control.trading}'")
    if control.trading == "REDUCING" and not _reduces(order, position):
        return Refusal(
            403,
            "reducing_only",
            f"trading is REDUCING: only orders that reduce a position are accepted ({order.symbol} position {position:g})",
        )
    limit = control.state.risk_limits.get("max_order_notional")
    notional = order.quantity * (order.limit_price or demo_price(order.symbol))
    if limit is None:
        return Refusal(503, "risk_limits_missing", "not trading: no max_order_notional in the control state")
    if notional > float(limit):
        return Refusal(403, "risk_limit", f"order notional {notional:.2f} exceeds max_order_notional {float(limit):g}")
    return None


def _reduces(order: OrderRequest, position: float) -> bool:
    if order.side == "sell":
        return position > 0 and order.quantity <= position
    return position < 0 and order.quantity <= -position
