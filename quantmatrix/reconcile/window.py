"""Whether an apply may start now, and when the next window opens (issue 10, readiness).

Pure functions; the clock is a parameter (`now`, an aware datetime). Windows are read on
the exchange's wall clock, so DST needs no special case: 17:00 is 17:00 local on both sides
of a switch. Only the *next start* has to turn a wall time back into an instant, which a
DST gap (02:30 does not exist on the spring-forward day) or overlap (01:30 happens twice in
the autumn) makes ambiguous; `_first_instant` picks the first instant at or after it.

Break-glass is not decided here: the apply overrides a refusal and records the incident.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from quantmatrix.model.common import Mode
from quantmatrix.model.window import WEEKDAYS, Allow, DeployWindow, TimeWindow, minutes
from quantmatrix.reconcile import calendar

DEFAULT_ALLOW: dict[Mode, Allow] = {
    # live and paper deploy when the market is closed: paper is the rehearsal of live, and a
    # mid-session restart would break the session observed as evidence for promotion
    Mode.live: "market_closed",
    Mode.paper: "market_closed",
    Mode.local: "any_time",
    Mode.backtest: "any_time",
}
HORIZON_DAYS = 366  # a window further away than a year is reported as none


@dataclass(frozen=True)
class WindowDecision:
    """May an apply start at `at`? If not, why, and when it next may (None: not within a year)."""

    allowed: bool
    reason: str
    at: datetime
    timezone: str
    next_start: datetime | None = None

    def message(self) -> str:
        """One line for the operator: the reason and the next start, local and UTC."""
        if self.allowed:
            return f"deploy window open: {self.reason}"
        if self.next_start is None:
            return f"deploy window closed: {self.reason}; no window opens in the next {HORIZON_DAYS} days"
        return (
            f"deploy window closed: {self.reason}; next window opens {describe_instant(self.next_start, self.timezone)}"
        )


def describe_instant(instant: datetime, zone: str) -> str:
    """'2026-11-27 16:00 EST (America/New_York) = 2026-11-27 21:00 UTC'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone}) = {instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def resolve(window: DeployWindow, mode: Mode) -> DeployWindow:
    """`window` with `allow` filled in: written, implied by `windows`, or the mode's default."""
    if window.allow is not None:
        return window
    allow: Allow = "windows" if window.windows else DEFAULT_ALLOW[mode]
    return window.model_copy(update={"allow": allow})


def decide(window: DeployWindow, now: datetime) -> WindowDecision:
    """The decision at `now` for a resolved window (an unresolved one counts as market_closed)."""
    now = calendar.require_aware(now)
    allowed, reason = _allowed(window, now)
    next_start = None if allowed else next_window_start(window, now)
    return WindowDecision(allowed, reason, now, window.zone, next_start)


def in_window(window: DeployWindow, now: datetime) -> bool:
    """Whether an apply may start at `now` (an aware datetime)."""
    return _allowed(window, calendar.require_aware(now))[0]


def next_window_start(window: DeployWindow, now: datetime) -> datetime | None:
    """The first instant after `now` when the window opens (UTC), or None within a year.

    Being allowed changes only at a few instants: local midnights (weekends, holidays,
    freezes), window starts and session ends (+ margin). The answer is the first of those
    after `now` at which an apply is allowed."""
    now = calendar.require_aware(now)
    zone = ZoneInfo(window.zone)
    today = now.astimezone(zone).date()
    # a week at a time (plus the day before, for windows crossing midnight, and after):
    # an instant dated inside the week is earlier than any candidate of a later week
    for offset in range(0, HORIZON_DAYS, 7):
        first = today + timedelta(days=offset)
        candidates = sorted(
            {c for day in _days(first - timedelta(days=1), 9) for c in _candidates(window, day, zone) if c > now}
        )
        for candidate in candidates:
            if (
                first <= candidate.astimezone(zone).date() < first + timedelta(days=7)
                and _allowed(window, candidate)[0]
            ):
                return candidate.astimezone(UTC)
    return None


def _allowed(window: DeployWindow, now: datetime) -> tuple[bool, str]:
    local = now.astimezone(ZoneInfo(window.zone))
    for freeze in window.freeze:
        if freeze.start <= local.date() <= freeze.end:
            return False, f"deploy freeze {freeze.start} to {freeze.end}: {freeze.reason}"
    if window.allow == "any_time":
        return True, "any time"
    margin = timedelta(minutes=window.margin_minutes)
    running = calendar.in_session(window.calendar, now, margin)
    if window.allow == "windows":
        matching = next((w for w in window.windows if _contains(w, local)), None)
        if matching is None:
            return False, f"outside the deploy windows ({_describe_windows(window.windows)}, {window.zone})"
        if running is not None and not window.during_session:
            return False, f"inside window {_describe(matching)} but {_session_text(window, running, margin)}"
        return True, f"inside window {_describe(matching)}"
    if running is not None:
        return False, _session_text(window, running, margin)
    closed = calendar.closed_reason(window.calendar, local.date())
    if closed:
        return True, f"{window.calendar} is closed all day ({closed})"
    return True, f"{window.calendar} is outside its session{' and margin' if margin else ''}"


def _session_text(window: DeployWindow, running: calendar.Session, margin: timedelta) -> str:
    details = [f"{running.open:%H:%M}-{running.close:%H:%M} {window.zone}"]
    if margin:
        details.append(f"{window.margin_minutes} min margin each side")
    if running.early_close:
        details.append(f"early close: {running.early_close}")
    return f"{window.calendar} is in session ({', '.join(details)})"


def _contains(window: TimeWindow, local: datetime) -> bool:
    """Whether the local wall-clock time falls in `window` (started today, or yesterday if it
    crosses midnight)."""
    now_min = local.hour * 60 + local.minute
    start, end = minutes(window.start), minutes(window.end)
    today = WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    if start < end:
        return today in window.days and start <= now_min < end
    return (today in window.days and now_min >= start) or (yesterday in window.days and now_min < end)


def _candidates(window: DeployWindow, day: date, zone: ZoneInfo) -> Iterator[datetime]:
    """Instants on local `day` at which an apply may become allowed."""
    yield _first_instant(day, time(0, 0), zone)
    for w in window.windows:
        if WEEKDAYS[day.weekday()] in w.days:
            start = minutes(w.start)
            wall = time(start // 60, start % 60)
            yield _first_instant(day, wall, zone)
            # the second reading of a wall time repeated by an autumn overlap
            yield datetime.combine(day, wall, tzinfo=zone).replace(fold=1).astimezone(UTC)
    running = calendar.session(window.calendar, day)
    if running is not None:
        yield running.close + timedelta(minutes=window.margin_minutes)
        yield running.open - timedelta(minutes=window.margin_minutes)  # not a start; harmless


def _first_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant at which the local clock of `zone` reads `wall` or later on `day`.

    In an autumn overlap that is the first occurrence (fold=0). In a spring gap the wall time
    never shows: the answer is the end of the gap, found by walking the minutes between the
    two readings of the missing time."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    lo, hi = min(lo, hi), max(lo, hi)
    instant = lo
    while instant < hi and instant.astimezone(zone).replace(tzinfo=None) < naive:
        instant += timedelta(minutes=1)
    return instant


def _days(first: date, count: int) -> Iterator[date]:
    return (first + timedelta(days=i) for i in range(count))


def _describe(window: TimeWindow) -> str:
    return f"{','.join(window.days)} {window.start}-{window.end}"


def _describe_windows(windows: list[TimeWindow]) -> str:
    return "; ".join(_describe(w) for w in windows)
