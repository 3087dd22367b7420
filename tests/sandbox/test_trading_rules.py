"""The sandbox obeys the control keys (real Redis, real processes, real HTTP): HALTED refuses
new orders, REDUCING accepts only reducing ones, blocked symbols and risk limits are enforced,
and an unreadable or foreign-mode control state means not trading."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_platform import Platform

from quantmatrix.runtime.control import TradingState


@pytest.fixture
def api(paper_platform: Platform) -> Iterator[httpx.Client]:
    paper_platform.reset()
    with httpx.Client(base_url=paper_platform.api, timeout=5) as client:
        yield client


def order(
    client: httpx.Client,
    symbol: str = "AAPL",
    side: str = "buy",
    quantity: float = 1,
    path: str = "/api/orders",
    **extra: object,
) -> httpx.Response:
    return client.post(path, json={"symbol": symbol, "side": side, "quantity": quantity, **extra})


def test_active_accepts_an_order_fills_it_and_shows_the_position(api: httpx.Client) -> None:
    placed = order(api, "AAPL", "buy", 3)
    assert placed.status_code == 201, placed.text
    assert placed.json()["order"]["status"] == "filled"
    position = api.get("/api/positions").json()["positions"][0]
    assert (position["symbol"], position["quantity"]) == ("AAPL", 3.0)
    assert api.get("/api/reconciliation").json()["in_sync"] is True


def test_a_limit_order_stays_open_and_can_be_cancelled(api: httpx.Client) -> None:
    placed = order(api, "MSFT", "buy", 1, type="limit", limit_price=1.0).json()["order"]
    assert placed["status"] == "open"
    cancelled = api.delete(f"/api/orders/{placed['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["order"]["status"] == "cancelled"
    assert api.delete("/api/orders/ord-does-not-exist").status_code == 404


def test_halted_refuses_every_new_order(paper_platform: Platform, api: httpx.Client) -> None:
    assert order(api, "AAPL", "buy", 2).status_code == 201
    paper_platform.control.plane.set_trading(TradingState.HALTED, "operator halt", "dana.ops")
    for side in ("buy", "sell"):  # even a reducing sell: HALTED means no new orders
        refused = order(api, "AAPL", side, 1)
        assert refused.status_code == 403
        assert refused.json()["error"] == "halted" and "operator halt" in refused.json()["message"]
    assert [p["quantity"] for p in api.get("/api/positions").json()["positions"]] == [2.0]


def test_reducing_accepts_only_orders_that_reduce_a_position(paper_platform: Platform, api: httpx.Client) -> None:
    assert order(api, "AAPL", "buy", 5).status_code == 201
    paper_platform.control.plane.set_trading(TradingState.REDUCING, "deploying", "reconciler")
    assert order(api, "AAPL", "buy", 1).json()["error"] == "reducing_only"  # adds to the position
    assert order(api, "MSFT", "sell", 1).json()["error"] == "reducing_only"  # opens a short
    assert order(api, "AAPL", "sell", 6).json()["error"] == "reducing_only"  # flips it short
    assert order(api, "AAPL", "sell", 2).status_code == 201  # reduces
    assert api.get("/api/positions").json()["positions"][0]["quantity"] == 3.0


@pytest.mark.parametrize("path", ["/api/orders", "/api/orders/validate"])
def test_blocked_symbols_are_refused(paper_platform: Platform, api: httpx.Client, path: str) -> None:
    assert paper_platform.environment.spec.blocked_symbols == ["GME", "AMC"]
    for symbol in ("GME", "amc"):
        refused = order(api, symbol, path=path)
        assert refused.status_code == 403 and refused.json()["error"] == "blocked_symbol", refused.text
    assert api.get("/api/orders").json()["orders"] == []


def test_validate_only_never_places_an_order(api: httpx.Client) -> None:
    assert order(api, "AAPL", path="/api/orders/validate").json() == {"accepted": True, "placed": False}
    assert api.get("/api/orders").json()["orders"] == [] and api.get("/api/positions").json()["positions"] == []


def test_risk_limit_on_order_notional(paper_platform: Platform, api: httpx.Client) -> None:
    limit = paper_platform.environment.spec.risk.max_order_notional
    refused = order(api, "AAPL", "buy", 1, type="limit", limit_price=limit + 1)
    assert refused.status_code == 403 and refused.json()["error"] == "risk_limit"


def test_risk_screen_shows_the_limits_of_the_control_state(paper_platform: Platform, api: httpx.Client) -> None:
    paper_platform.control.publish(paper_platform.environment, risk_limits={"max_order_notional": 123.0})
    assert api.get("/api/risk").json()["limits"] == {"max_order_notional": 123.0}


@pytest.mark.parametrize("damage", ["delete_all", "delete_trading", "garbage_trading", "garbage_limits"])
def test_unreadable_control_state_fails_closed(paper_platform: Platform, api: httpx.Client, damage: str) -> None:
    control = paper_platform.control
    if damage == "delete_all":
        control.wipe()
    elif damage == "delete_trading":
        control.client.delete(f"{control.prefix}trading")
    elif damage == "garbage_trading":
        control.client.set(f"{control.prefix}trading", '{"state": "YOLO"}')
    else:
        control.client.set(f"{control.prefix}risk_limits", "not json")
    refused = order(api, "AAPL")
    assert refused.status_code == 503 and refused.json()["error"] == "control_unavailable", refused.text
    health = api.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded" and "not trading" in health.json()["message"]
    assert api.get("/api/risk").status_code == 503


def test_a_control_state_for_another_mode_stops_trading(paper_platform: Platform, api: httpx.Client) -> None:
    paper_platform.control.publish(paper_platform.environment, mode="live")
    refused = order(api, "AAPL")
    assert refused.status_code == 409 and refused.json()["error"] == "mode_mismatch"
    assert "mode 'live'" in api.get("/health").json()["message"]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"symbol": "AAPL", "side": "buy"}, "quantity"),
        ({"symbol": "AAPL", "side": "short", "quantity": 1}, "side"),
        ({"symbol": "AAPL", "side": "buy", "quantity": True}, "quantity"),
        ({"symbol": "AAPL", "side": "buy", "quantity": -1}, "quantity"),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1e300}, "quantity"),
        ({"symbol": "../../etc", "side": "buy", "quantity": 1}, "symbol"),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1, "type": "limit"}, "limit_price"),
        ({"symbol": "AAPL", "side": "buy", "quantity": 1, "route": "live"}, "unknown field"),
        (["AAPL"], "JSON object"),
    ],
)
def test_malformed_orders_are_refused_with_the_reason(api: httpx.Client, body: object, fragment: str) -> None:
    refused = api.post("/api/orders", json=body)
    assert refused.status_code == 422 and fragment in refused.json()["message"]
    assert api.get("/api/orders").json()["orders"] == []


def test_a_client_order_id_places_one_order_however_often_it_is_sent(api: httpx.Client) -> None:
    first = order(api, "AAPL", "buy", 1, client_order_id="strat-42")
    assert first.status_code == 201 and first.json()["order"]["client_order_id"] == "strat-42"
    again = order(api, "AAPL", "buy", 1, client_order_id="strat-42")
    assert again.status_code == 409 and again.json()["error"] == "duplicate_order"
    assert len(api.get("/api/orders").json()["orders"]) == 1
    assert order(api, "AAPL", "buy", 1, client_order_id="bad id!").status_code == 422
