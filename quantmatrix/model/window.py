"""When an environment may be deployed: the exchange whose trading calendar applies, and
the windows, in that exchange's time zone (issue 10; guide §5 "operator informed of
deployment window").

Only data and its validation live here; the decisions are in `quantmatrix.reconcile.window`.
An absent `allow` means the mode's default (live and paper: when the market is closed;
local and backtest: any time), so that a base layer can name the exchange for every mode.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from quantmatrix.model.common import Day, StrictModel, Text


@dataclass(frozen=True)
class ExchangeHours:
    """An exchange's regular session in its own time zone. Closed days (weekends, holidays)
    and early-close days come from the trading calendar (`quantmatrix.reconcile.calendar`)."""

    timezone: str
    open: time
    close: time
    early_close: time


# Adding an exchange = one entry here (its calendar must exist in the `holidays` package).
EXCHANGES: dict[str, ExchangeHours] = {
    "XNYS": ExchangeHours("America/New_York", time(9, 30), time(16, 0), time(13, 0)),
    "XNAS": ExchangeHours("America/New_York", time(9, 30), time(16, 0), time(13, 0)),
    "XLON": ExchangeHours("Europe/London", time(8, 0), time(16, 30), time(12, 30)),
}

ExchangeCode = Literal["XNYS", "XNAS", "XLON"]
Allow = Literal["any_time", "market_closed", "windows"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


@lru_cache(maxsize=256)
def _is_zone(name: str) -> bool:
    if not _ZONE_NAME.fullmatch(name):  # no paths, no dots: the name becomes a file look-up
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _iana_zone(name: str) -> str:
    if not _is_zone(name):
        # the value is not echoed: whatever was mistyped here stays out of logs
        raise ValueError("not an IANA time zone name (e.g. America/New_York, Europe/London)")
    return name


TimeZone = Annotated[str, AfterValidator(_iana_zone), Field(description="IANA time zone, e.g. America/New_York.")]
_WALL = r"^([01]\d|2[0-3]):[0-5]\d$"
_END = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"


def _wall_time(pattern: str, latest: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f'must be a time HH:MM from 00:00 to {latest}, quoted in YAML ("17:00")')
        return value

    return check


WallTime = Annotated[
    str,
    AfterValidator(_wall_time(_WALL, "23:59")),
    Field(description='Local wall-clock time HH:MM (quote it in YAML: "17:00").', json_schema_extra={"pattern": _WALL}),
]
EndTime = Annotated[
    str,
    AfterValidator(_wall_time(_END, "24:00")),
    Field(
        description="Local wall-clock time HH:MM, or 24:00 for the end of the day.", json_schema_extra={"pattern": _END}
    ),
]


def minutes(wall: str) -> int:
    """'17:30' → 1050 minutes after midnight ('24:00' → 1440)."""
    hours, mins = wall.split(":")
    return int(hours) * 60 + int(mins)


class TimeWindow(StrictModel):
    """A weekly window: on each of `days`, from `start` to `end` local time. An `end` earlier
    than `start` crosses midnight: the window ends the next day."""

    days: list[Weekday] = Field(min_length=1, description="Days the window starts on (mon..sun).")
    start: WallTime
    end: EndTime

    @field_validator("days")
    @classmethod
    def _unique_days(cls, days: list[Weekday]) -> list[Weekday]:
        for i, day in enumerate(days):
            if day in days[:i]:
                raise PydanticCustomError("duplicate", "'{day}' is listed twice", {"day": day, "at": (i,)})
        return days

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if minutes(self.start) == minutes(self.end):
            raise PydanticCustomError(
                "empty_window", "start and end are the same time: a whole day is 00:00 to 24:00", {"at": ("end",)}
            )
        return self


class Freeze(StrictModel):
    """Dates (inclusive, exchange time zone) when nothing is deployed, e.g. a year-end freeze."""

    start: Day = Field(description="First frozen day (YYYY-MM-DD).")
    end: Day = Field(description="Last frozen day, inclusive (YYYY-MM-DD).")
    reason: Text = Field(description="Why, shown when an apply is refused.")

    @model_validator(mode="after")
    def _ordered(self) -> Freeze:
        if self.end < self.start:
            raise PydanticCustomError("freeze_order", "end is before start", {"at": ("end",)})
        return self


class DeployWindow(StrictModel):
    """When an apply may start. Outside it the apply is refused, naming the next window's
    start; only `qm apply --break-glass REASON` overrides, and that is recorded."""

    calendar: ExchangeCode = Field(
        "XNYS", description="Exchange (ISO 10383 MIC) whose trading calendar applies: XNYS, XNAS or XLON."
    )
    timezone: TimeZone | None = Field(
        None,
        description="The exchange's time zone, in which windows and freeze dates are read; must be the calendar's.",
    )
    allow: Allow | None = Field(
        None,
        description=(
            "any_time; market_closed (outside the regular session, any time on weekends and holidays); "
            "windows (only inside `windows`). Absent: live and paper market_closed, local and backtest any_time."
        ),
    )
    windows: list[TimeWindow] = Field(default_factory=list, description="Weekly windows, for allow: windows.")
    during_session: bool = Field(
        False, description="allow: windows only: whether a window may be used while the market is open."
    )
    margin_minutes: int = Field(
        0, ge=0, le=240, description="Minutes before the open and after the close that count as in session."
    )
    freeze: list[Freeze] = Field(
        default_factory=list, description="Dates when nothing is deployed, whatever `allow` says."
    )

    @model_validator(mode="after")
    def _consistent(self) -> DeployWindow:
        zone = EXCHANGES[self.calendar].timezone
        if self.timezone is not None and self.timezone != zone:
            raise PydanticCustomError(
                "zone_mismatch",
                "{calendar} trades in {zone}, not {timezone}: windows are read in the exchange's time zone "
                "(an environment that changes calendar writes its timezone too, or null)",
                {"calendar": self.calendar, "zone": zone, "timezone": self.timezone, "at": ("timezone",)},
            )
        if self.allow == "windows" and not self.windows:
            raise PydanticCustomError(
                "no_windows", "allow: windows needs at least one entry in windows", {"at": ("allow",)}
            )
        if self.windows and self.allow not in (None, "windows"):
            raise PydanticCustomError(
                "unused_windows",
                "windows are only used with allow: windows (here allow: {allow})",
                {"allow": self.allow, "at": ("windows",)},
            )
        return self

    @property
    def zone(self) -> str:
        """The time zone windows, sessions and freeze dates are read in."""
        return EXCHANGES[self.calendar].timezone
