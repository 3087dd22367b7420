"""A demo market-data feed and a dry-run broker: deterministic and in memory.

Prices are a pure function of the symbol (and nothing else), so every sandbox process and
every test sees the same numbers. The broker fills market orders at once at the demo price
and keeps limit orders open until cancelled. Nothing leaves the process.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

DEMO_UNIVERSE = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "NFLX", "JPM")
STARTING_CASH = 100_000.0


def demo_price(symbol: str) -> float:
    """A stable price between 10 and 510 for any symbol."""
    digest = hashlib.sha256(symbol.encode()).digest()
    return round(10 + int.from_bytes(digest[:4], "big") % 50_000 / 100, 2)


def momentum(symbol: str) -> float:
    """A stable momentum score in [-1, 1) for the demo Momentum Radar."""
    digest = hashlib.sha256(b"radar:" + symbol.encode()).digest()
    return round(int.from_bytes(digest[:2], "big") / 32768 - 1, 3)


def radar() -> list[dict[str, Any]]:
    """The Momentum Radar: the demo universe ranked by momentum, strongest first."""
    rows = [{"symbol": s, "price": demo_price(s), "momentum": momentum(s)} for s in DEMO_UNIVERSE]
    return sorted(rows, key=lambda row: -float(row["momentum"]))


@dataclass
class Order:
    id: str
    symbol: str
    side: str  # buy | sell
    quantity: float
    type: str  # market | limit
    limit_price: float | None
    status: str  # filled | open | cancelled
    fill_price: float | None = None
    client_order_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Book:
    """The broker's view: orders and net positions (symbol → signed quantity)."""

    orders: dict[str, Order] = field(default_factory=dict)
    positions: dict[str, float] = field(default_factory=dict)


class DryRunBroker:
    """Fills market orders at the demo price; never routes anything anywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.book = Book()

    def reset(self) -> None:
        with self._lock:
            self.book = Book()

    def position(self, symbol: str) -> float:
        with self._lock:
            return self.book.positions.get(symbol, 0.0)

    def place(
        self, symbol: str, side: str, quantity: float, type_: str, limit_price: float | None, client_order_id: str = ""
    ) -> Order | None:
        """The new order; None when `client_order_id` was already used (a retried submit must
        never become a second order: guide §13, order duplication)."""
        with self._lock:
            if client_order_id and any(o.client_order_id == client_order_id for o in self.book.orders.values()):
                return None
            number = next(self._ids)
            order = Order(
                f"ord-{number}",
                symbol,
                side,
                quantity,
                type_,
                limit_price,
                "open",
                None,
                client_order_id or f"qm-{number}",
            )
            if type_ == "market":
                order.status, order.fill_price = "filled", demo_price(symbol)
                signed = quantity if side == "buy" else -quantity
                net = self.book.positions.get(symbol, 0.0) + signed
                if net:
                    self.book.positions[symbol] = net
                else:
                    self.book.positions.pop(symbol, None)
            self.book.orders[order.id] = order
            return order

    def cancel(self, order_id: str) -> Order | None:
        """The cancelled order; None when there is no such order."""
        with self._lock:
            order = self.book.orders.get(order_id)
            if order is not None and order.status == "open":
                order.status = "cancelled"
            return order

    def orders(self) -> list[Order]:
        with self._lock:
            return list(self.book.orders.values())

    def positions(self) -> dict[str, float]:
        with self._lock:
            return dict(self.book.positions)
