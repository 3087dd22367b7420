"""The deploy-window decision with the clock passed in: defaults per mode, market hours,
holidays, early closes, margins, weekly windows (across midnight, across DST switches),
freezes, another exchange, and the refusal message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from quantmatrix.model.common import Mode
from quantmatrix.model.window import DeployWindow
from quantmatrix.reconcile.window import decide, in_window, next_window_start, resolve

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def window(mode: Mode = Mode.live, **fields: Any) -> DeployWindow:
    return resolve(DeployWindow.model_validate(fields), mode)


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)  # type: ignore[misc]


WEEKDAYS_EVENING = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "02:00"}


def test_defaults_per_mode() -> None:
    assert [window(mode).allow for mode in Mode] == [
        "any_time" if m in (Mode.local, Mode.backtest) else "market_closed" for m in Mode
    ]
    # written settings win over the mode; windows alone imply allow: windows
    assert window(Mode.live, allow="any_time").allow == "any_time"
    assert window(Mode.local, windows=[WEEKDAYS_EVENING]).allow == "windows"


def test_an_unresolved_window_fails_closed_to_market_closed() -> None:
    unresolved = DeployWindow()
    assert unresolved.allow is None
    assert not in_window(unresolved, ny(2026, 11, 25, 11, 0))
    assert in_window(unresolved, ny(2026, 11, 25, 17, 0))


def test_local_deploys_mid_session() -> None:
    assert in_window(window(Mode.local), ny(2026, 11, 25, 11, 0))


def test_live_mid_session_is_refused_naming_the_next_start_local_and_utc() -> None:
    decision = decide(window(), ny(2026, 11, 25, 11, 0))
    assert not decision.allowed
    assert decision.next_start == datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    assert "XNYS is in session (09:30-16:00 America/New_York)" in decision.message()
    assert "next window opens 2026-11-25 16:00 EST (America/New_York) = 2026-11-25 21:00 UTC" in decision.message()


@pytest.mark.parametrize(
    ("now", "why"),
    [
        (ny(2026, 11, 25, 9, 29), "outside its session"),  # before the open
        (ny(2026, 11, 25, 16, 0), "outside its session"),  # at the close
        (ny(2026, 11, 28, 12, 0), "Saturday"),
        (ny(2026, 11, 29, 12, 0), "Sunday"),
        (ny(2026, 11, 26, 12, 0), "Thanksgiving"),
        (ny(2026, 12, 25, 11, 0), "Christmas"),
        (ny(2026, 7, 3, 11, 0), "Independence Day (observed)"),  # a Friday; July 4th is a Saturday
    ],
)
def test_live_deploys_when_the_market_is_closed(now: datetime, why: str) -> None:
    decision = decide(window(), now)
    assert decision.allowed and why in decision.reason
    assert decision.next_start is None


def test_an_early_close_opens_the_window_early() -> None:
    at_1259 = decide(window(), ny(2026, 11, 27, 12, 59))
    assert not at_1259.allowed and "early close" in at_1259.reason
    assert at_1259.next_start == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 13:00 EST
    assert in_window(window(), ny(2026, 11, 27, 13, 0))


def test_margin_widens_the_session_on_both_sides() -> None:
    live = window(margin_minutes=60)
    assert not in_window(live, ny(2026, 11, 25, 8, 45))
    assert not in_window(live, ny(2026, 11, 25, 16, 59))
    assert in_window(live, ny(2026, 11, 25, 17, 0))
    assert in_window(live, ny(2026, 11, 25, 8, 29))
    assert next_window_start(live, ny(2026, 11, 25, 12, 0)) == datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert "60 min margin each side" in decide(live, ny(2026, 11, 25, 16, 30)).reason


def test_friday_afternoon_waits_for_the_close_not_for_monday() -> None:
    # and Thursday before Good Friday: the close, then the holiday weekend
    assert next_window_start(window(), ny(2026, 4, 2, 10, 0)) == datetime(2026, 4, 2, 20, 0, tzinfo=UTC)


def test_dst_switch_days_in_new_york() -> None:
    live = window()
    # Friday before the spring switch: 16:00 EST = 21:00 UTC; Monday after: 16:00 EDT = 20:00 UTC
    assert next_window_start(live, ny(2026, 3, 6, 10, 0)) == datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    assert next_window_start(live, ny(2026, 3, 9, 10, 0)) == datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
    # the autumn switch: Monday 2026-11-02 closes at 16:00 EST = 21:00 UTC
    assert next_window_start(live, ny(2026, 11, 2, 10, 0)) == datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    # on both switch Sundays the whole day is open
    assert in_window(live, datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    assert in_window(live, datetime(2026, 11, 1, 6, 30, tzinfo=UTC))


def test_a_window_start_inside_the_spring_gap_opens_at_the_end_of_the_gap() -> None:
    sunday_night = window(allow="windows", windows=[{"days": ["sun"], "start": "02:30", "end": "04:00"}])
    # 02:30 does not exist on 2026-03-08 in New York: clocks go from 02:00 EST to 03:00 EDT
    assert next_window_start(sunday_night, ny(2026, 3, 7, 12, 0)) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert in_window(sunday_night, datetime(2026, 3, 8, 7, 0, tzinfo=UTC))
    assert not in_window(sunday_night, datetime(2026, 3, 8, 6, 59, tzinfo=UTC))  # 01:59 EST
    # a week later the window is 90 minutes long again, from 02:30 EDT
    assert next_window_start(sunday_night, ny(2026, 3, 9, 12, 0)) == datetime(2026, 3, 15, 6, 30, tzinfo=UTC)


def test_a_window_in_the_autumn_overlap_happens_twice() -> None:
    early = window(allow="windows", windows=[{"days": ["sun"], "start": "01:00", "end": "01:30"}])
    # 2026-11-01: 01:00-01:30 EDT (05:00-05:30 UTC), then again 01:00-01:30 EST (06:00-06:30 UTC)
    assert in_window(early, datetime(2026, 11, 1, 5, 10, tzinfo=UTC))
    assert not in_window(early, datetime(2026, 11, 1, 5, 40, tzinfo=UTC))
    assert next_window_start(early, datetime(2026, 11, 1, 5, 40, tzinfo=UTC)) == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert next_window_start(early, ny(2026, 10, 31, 12, 0)) == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)


def test_wall_clock_windows_keep_their_local_time_across_dst() -> None:
    evening = window(allow="windows", windows=[{"days": ["sun"], "start": "17:00", "end": "18:00"}])
    assert in_window(evening, datetime(2026, 3, 1, 22, 30, tzinfo=UTC))  # 17:30 EST
    assert in_window(evening, datetime(2026, 3, 8, 21, 30, tzinfo=UTC))  # 17:30 EDT
    assert not in_window(evening, datetime(2026, 3, 8, 22, 30, tzinfo=UTC))  # 18:30 EDT


def test_windows_crossing_midnight() -> None:
    nights = window(allow="windows", windows=[WEEKDAYS_EVENING])
    assert in_window(nights, ny(2026, 11, 24, 23, 0))  # Tuesday night
    assert in_window(nights, ny(2026, 11, 25, 1, 59))  # Wednesday, still Tuesday's window
    assert not in_window(nights, ny(2026, 11, 25, 2, 0))
    assert in_window(nights, ny(2026, 11, 28, 1, 0))  # Saturday 01:00: Friday's window
    assert not in_window(nights, ny(2026, 11, 29, 1, 0))  # Sunday 01:00: no window started Saturday
    assert not in_window(nights, ny(2026, 11, 23, 1, 0))  # Monday 01:00: none started Sunday
    decision = decide(nights, ny(2026, 11, 28, 3, 0))
    assert decision.next_start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # Monday 18:00 EST
    assert "outside the deploy windows (mon,tue,wed,thu,fri 18:00-02:00, America/New_York)" in decision.reason


def test_a_whole_day_window() -> None:
    saturdays = window(windows=[{"days": ["sat"], "start": "00:00", "end": "24:00"}])
    assert in_window(saturdays, ny(2026, 11, 28, 0, 0)) and in_window(saturdays, ny(2026, 11, 28, 23, 59))
    assert not in_window(saturdays, ny(2026, 11, 29, 0, 0))
    assert next_window_start(saturdays, ny(2026, 11, 29, 0, 0)) == datetime(2026, 12, 5, 5, 0, tzinfo=UTC)


def test_windows_overlapping_the_session_need_during_session() -> None:
    lunch = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "12:00", "end": "13:30"}
    closed_only = window(Mode.paper, windows=[lunch])
    refused = decide(closed_only, ny(2026, 11, 25, 12, 30))
    assert not refused.allowed and "in session" in refused.reason
    # on a half day the session is over by 13:00: the rest of the window is usable
    assert in_window(closed_only, ny(2026, 11, 27, 13, 10))
    assert next_window_start(closed_only, ny(2026, 11, 25, 12, 30)) == datetime(
        2026, 11, 26, 17, 0, tzinfo=UTC
    )  # Thanksgiving
    assert in_window(window(Mode.paper, windows=[lunch], during_session=True), ny(2026, 11, 25, 12, 30))


def test_a_freeze_refuses_whatever_allow_says() -> None:
    frozen = window(
        Mode.local, allow="any_time", freeze=[{"start": "2026-12-21", "end": "2027-01-04", "reason": "year-end freeze"}]
    )
    decision = decide(frozen, ny(2026, 12, 26, 12, 0))
    assert not decision.allowed
    assert decision.reason == "deploy freeze 2026-12-21 to 2027-01-04: year-end freeze"
    assert decision.next_start == datetime(2027, 1, 5, 5, 0, tzinfo=UTC)  # midnight EST after the last day
    # the freeze day is read in the exchange's zone: 23:30 EST on the 20th is 04:30 UTC on the 21st
    assert in_window(frozen, datetime(2026, 12, 21, 4, 30, tzinfo=UTC))
    assert not in_window(frozen, datetime(2026, 12, 21, 5, 0, tzinfo=UTC))


def test_no_window_within_a_year_is_said_plainly() -> None:
    frozen = window(freeze=[{"start": "2026-01-01", "end": "2028-01-01", "reason": "migration"}])
    decision = decide(frozen, ny(2026, 6, 1, 12, 0))
    assert decision.next_start is None
    assert "no window opens in the next 366 days" in decision.message()


def test_london_exchange_reads_london_time() -> None:
    lse = window(calendar="XLON", timezone="Europe/London")
    decision = decide(lse, datetime(2026, 11, 25, 12, 0, tzinfo=LONDON))
    assert not decision.allowed
    assert "next window opens 2026-11-25 16:30 GMT (Europe/London) = 2026-11-25 16:30 UTC" in decision.message()
    # British Summer Time: 16:30 BST is 15:30 UTC
    assert next_window_start(lse, datetime(2026, 6, 10, 12, 0, tzinfo=LONDON)) == datetime(
        2026, 6, 10, 15, 30, tzinfo=UTC
    )
    # Christmas Eve closes at 12:30; Thanksgiving is an ordinary day in London
    assert in_window(lse, datetime(2026, 12, 24, 12, 31, tzinfo=LONDON))
    assert not in_window(lse, datetime(2026, 11, 26, 12, 0, tzinfo=LONDON))
    # London windows are written in London time
    evenings = window(calendar="XLON", windows=[{"days": ["fri"], "start": "19:00", "end": "23:00"}])
    assert in_window(evenings, datetime(2026, 6, 12, 18, 30, tzinfo=UTC))  # 19:30 BST


def test_the_clock_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(window(), datetime(2026, 11, 25, 12, 0))


def test_decisions_do_not_depend_on_the_zone_the_clock_uses() -> None:
    live = window(margin_minutes=15)
    for hour in range(24):
        instant = datetime(2026, 11, 27, hour, 30, tzinfo=UTC)
        here, there = decide(live, instant), decide(live, instant.astimezone(LONDON))
        assert (here.allowed, here.reason, here.next_start) == (there.allowed, there.reason, there.next_start)


@pytest.mark.parametrize(
    "week", ["2026-11-23", "2026-03-05", "2026-10-29"], ids=["thanksgiving", "spring-dst", "autumn-dst"]
)
@pytest.mark.parametrize("allow", ["market_closed", "windows"])
def test_next_start_is_the_first_allowed_minute(allow: str, week: str) -> None:
    """Brute force over a week (a holiday and a half day, or a DST switch), every 20 minutes:
    each refusal's next start is allowed, the minute before it is not, nor is anything between."""
    windows = [
        WEEKDAYS_EVENING,
        {"days": ["sat"], "start": "10:00", "end": "12:00"},
        {"days": ["sun"], "start": "01:15", "end": "03:00"},
    ]
    extra: dict[str, Any] = {"windows": windows} if allow == "windows" else {}
    tested = window(allow=allow, margin_minutes=15, **extra)
    minute = timedelta(minutes=1)
    first = datetime.fromisoformat(week).replace(tzinfo=NY)
    now = first + timedelta(minutes=5)
    while now < first + timedelta(days=7):
        if not in_window(tested, now):
            start = next_window_start(tested, now)
            assert start is not None and start > now
            assert in_window(tested, start) and not in_window(tested, start - minute), (now, start)
            probe = now
            while probe < start:
                assert not in_window(tested, probe), (now, probe, start)
                probe += timedelta(minutes=20)
        now += timedelta(minutes=20)
