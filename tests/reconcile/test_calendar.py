"""Trading sessions from the calendar: weekends, holidays (observed ones too), early closes,
DST, and an exchange outside New York."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from quantmatrix.reconcile.calendar import closed_reason, market_open, session

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("code", "day", "reason"),
    [
        ("XNYS", date(2026, 11, 28), "Saturday"),
        ("XNYS", date(2026, 11, 29), "Sunday"),
        ("XNYS", date(2026, 11, 26), "Thanksgiving"),
        ("XNYS", date(2026, 12, 25), "Christmas"),
        # July 4th 2026 is a Saturday: the exchange closes on Friday the 3rd
        ("XNYS", date(2026, 7, 3), "Independence Day (observed)"),
        # ... and in 2027 a Sunday: closed Monday the 5th
        ("XNYS", date(2027, 7, 5), "Independence Day (observed)"),
        ("XNYS", date(2026, 4, 3), "Good Friday"),
        ("XNAS", date(2026, 6, 19), "Juneteenth"),
        # London: Christmas 2026 is a Friday, Boxing Day (Saturday) is observed on Monday the 28th
        ("XLON", date(2026, 12, 28), "Boxing Day"),
        ("XLON", date(2026, 4, 6), "Easter Monday"),
    ],
)
def test_closed_days_name_why(code: str, day: date, reason: str) -> None:
    assert reason in (closed_reason(code, day) or "")
    assert session(code, day) is None


@pytest.mark.parametrize(
    ("code", "day"),
    [
        ("XNYS", date(2026, 11, 25)),
        ("XNYS", date(2026, 7, 6)),
        ("XNYS", date(2026, 12, 28)),  # a London holiday, not a New York one
        ("XLON", date(2026, 11, 26)),  # Thanksgiving: London trades
        ("XLON", date(2026, 7, 3)),
    ],
)
def test_ordinary_trading_days_are_open(code: str, day: date) -> None:
    assert closed_reason(code, day) is None
    assert session(code, day) is not None


def test_regular_hours_in_the_exchange_zone() -> None:
    nyse = session("XNYS", date(2026, 11, 25))
    assert nyse is not None and nyse.early_close is None
    assert (nyse.open.astimezone(NY).time().isoformat(), nyse.close.astimezone(NY).time().isoformat()) == (
        "09:30:00",
        "16:00:00",
    )
    lse = session("XLON", date(2026, 11, 25))
    assert lse is not None
    assert (lse.open.astimezone(UTC).hour, lse.close.astimezone(UTC).strftime("%H:%M")) == (8, "16:30")


@pytest.mark.parametrize(
    ("code", "day", "close"),
    [
        ("XNYS", date(2026, 11, 27), "13:00"),  # day after Thanksgiving
        ("XNYS", date(2026, 12, 24), "13:00"),
        ("XNYS", date(2025, 7, 3), "13:00"),  # day before Independence Day
        ("XLON", date(2026, 12, 24), "12:30"),
        ("XLON", date(2026, 12, 31), "12:30"),
    ],
)
def test_early_closes(code: str, day: date, close: str) -> None:
    half = session(code, day)
    assert half is not None and half.early_close
    assert half.close.strftime("%H:%M") == close


def test_no_early_close_before_an_observed_july_4th() -> None:
    # 2026: the 3rd is the observed holiday; the 2nd is a full day
    full = session("XNYS", date(2026, 7, 2))
    assert full is not None and full.early_close is None and full.close.hour == 16


def test_the_open_moves_in_utc_across_the_new_york_dst_switch() -> None:
    # DST starts Sunday 2026-03-08 in New York, 2026-03-29 in London
    before, after = session("XNYS", date(2026, 3, 6)), session("XNYS", date(2026, 3, 9))
    assert before is not None and after is not None
    assert before.open.astimezone(UTC).strftime("%H:%M") == "14:30"
    assert after.open.astimezone(UTC).strftime("%H:%M") == "13:30"
    # in the weeks between the two switches, London still closes at 16:30 UTC
    lse = session("XLON", date(2026, 3, 16))
    assert lse is not None and lse.close.astimezone(UTC).strftime("%H:%M") == "16:30"


@pytest.mark.parametrize(
    ("code", "now", "open_"),
    [
        ("XNYS", datetime(2026, 11, 25, 14, 30, tzinfo=UTC), True),  # 09:30 EST: the open
        ("XNYS", datetime(2026, 11, 25, 14, 29, 59, tzinfo=UTC), False),
        ("XNYS", datetime(2026, 11, 25, 21, 0, tzinfo=UTC), False),  # 16:00 EST: the close
        ("XNYS", datetime(2026, 11, 25, 20, 59, tzinfo=UTC), True),
        ("XNYS", datetime(2026, 11, 27, 17, 59, tzinfo=UTC), True),  # 12:59 on a half day
        ("XNYS", datetime(2026, 11, 27, 18, 0, tzinfo=UTC), False),  # 13:00: closed early
        ("XNYS", datetime(2026, 11, 26, 16, 0, tzinfo=UTC), False),  # Thanksgiving, midday
        ("XNYS", datetime(2026, 3, 9, 13, 45, tzinfo=UTC), True),  # 09:45 EDT, first day of DST
        ("XNYS", datetime(2026, 3, 6, 13, 45, tzinfo=UTC), False),  # 08:45 EST, before DST
    ],
)
def test_market_open(code: str, now: datetime, open_: bool) -> None:
    assert market_open(code, now) is open_


def test_london_session_seen_from_new_york() -> None:
    assert market_open("XLON", datetime(2026, 11, 26, 11, 0, tzinfo=NY))  # 16:00 London
    assert not market_open("XLON", datetime(2026, 11, 26, 11, 30, tzinfo=NY))  # 16:30 London
    assert not market_open("XLON", datetime(2026, 12, 24, 7, 45, tzinfo=NY))  # 12:45 London, half day


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        market_open("XNYS", datetime(2026, 11, 25, 12, 0))
