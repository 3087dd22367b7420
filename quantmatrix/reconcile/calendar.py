"""Trading sessions of an exchange on a given day: regular hours from `EXCHANGES`, closed
days and early closes from the `holidays` package's financial calendars.

Why `holidays` and not `exchange_calendars`: it has the exchanges we trade (XNYS, XNAS,
XLON) with their holidays, special closures and half days, depends only on
python-dateutil, and imports in ~40 ms; `exchange_calendars` pulls pandas and numpy and
takes most of a second to import, which a no-op apply (≤ 0.5 s) cannot afford.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from quantmatrix.model.window import EXCHANGES


@dataclass(frozen=True)
class Session:
    """One day's regular session, as aware datetimes in the exchange's time zone."""

    open: datetime
    close: datetime
    early_close: str | None = None  # the calendar's name for the half day, if it is one


@lru_cache(maxsize=128)
def _calendar(code: str, year: int) -> tuple[frozenset[int], dict[date, str], dict[date, str]]:
    """(weekend weekdays, full closures, half days) of `code` in `year`."""
    closed = holidays.financial_holidays(code, years=year)
    half = holidays.financial_holidays(code, years=year, categories=("half_day",))
    return frozenset(closed.weekend), dict(closed.items()), dict(half.items())


def closed_reason(code: str, day: date) -> str | None:
    """Why the exchange is closed all of `day` (a weekend or the holiday's name), or None."""
    weekend, closures, _ = _calendar(code, day.year)
    if day in closures:
        return closures[day]
    if day.weekday() in weekend:
        return day.strftime("%A")
    return None


def session(code: str, day: date) -> Session | None:
    """The regular session of `code` on `day` (a local date), or None when it does not trade."""
    if closed_reason(code, day) is not None:
        return None
    hours = EXCHANGES[code]
    zone = ZoneInfo(hours.timezone)
    half = _calendar(code, day.year)[2].get(day)
    close = hours.early_close if half is not None else hours.close
    return Session(
        open=datetime.combine(day, hours.open, tzinfo=zone),
        close=datetime.combine(day, close, tzinfo=zone),
        early_close=half,
    )


def in_session(code: str, now: datetime, margin: timedelta = timedelta(0)) -> Session | None:
    """The session `now` falls in, widened by `margin` on both sides, or None."""
    local = now.astimezone(ZoneInfo(EXCHANGES[code].timezone))
    today = session(code, local.date())
    if today is not None and today.open - margin <= now < today.close + margin:
        return today
    return None


def market_open(code: str, now: datetime) -> bool:
    """Whether `code`'s regular session is running at `now` (an aware datetime)."""
    return in_session(code, require_aware(now)) is not None


def require_aware(now: datetime) -> datetime:
    """`now`, refusing a naive datetime: the clock must say which instant it means."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the clock must give an aware datetime (a naive one has no time zone)")
    return now
