"""`deploy_window` as written in environment files: strict, layered, located errors (exit 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from quantmatrix.model.common import Mode
from quantmatrix.reconcile.window import resolve
from quantmatrix.repo.loader import load

PAPER = "environments/paper.yaml"
LIVE = "environments/live.yaml"
BASE = "environments/_base.yaml"
LIVE_WINDOW = "  deploy_window:\n    # only when XNYS is closed, keeping an hour clear before the open and after the close\n    allow: market_closed\n"


def replace(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_samples_layer_the_base_calendar_under_each_mode(sample_repo: Path) -> None:
    state = load(sample_repo)
    windows = {name: resolve(env.spec.deploy_window, env.spec.mode) for name, env in state.environments.items()}
    assert {name: (w.calendar, w.zone, w.allow) for name, w in windows.items()} == {
        "live": ("XNYS", "America/New_York", "market_closed"),
        "paper": ("XNYS", "America/New_York", "market_closed"),
        "local": ("XNYS", "America/New_York", "any_time"),
        "backtest": ("XNYS", "America/New_York", "any_time"),
    }
    assert windows["live"].margin_minutes == 60


def test_an_environment_may_move_to_another_exchange(sample_repo: Path) -> None:
    replace(
        sample_repo,
        PAPER,
        "    allow: market_closed\n",
        "    calendar: XLON\n    timezone: null\n    allow: market_closed\n",
    )
    paper = load(sample_repo).environments["paper"].spec.deploy_window
    assert (paper.calendar, paper.timezone, paper.zone) == ("XLON", None, "Europe/London")


def test_an_environment_without_deploy_window_takes_its_modes_default(sample_repo: Path) -> None:
    replace(sample_repo, BASE, "  deploy_window:\n    calendar: XNYS\n    timezone: America/New_York\n", "")
    replace(sample_repo, LIVE, LIVE_WINDOW, "  deploy_window:\n")  # an empty mapping: every field defaults
    replace(sample_repo, LIVE, "    margin_minutes: 60\n", "")
    live = load(sample_repo).environments["live"]
    window = resolve(live.spec.deploy_window, Mode.live)
    assert (window.calendar, window.allow, window.margin_minutes) == ("XNYS", "market_closed", 0)


Breaker = Callable[[Path], tuple[str, str, str]]


def _bad_zone(repo: Path) -> tuple[str, str, str]:
    replace(repo, BASE, "timezone: America/New_York", "timezone: America/New_Yrok")
    return BASE, "timezone: America/New_Yrok", "spec.deploy_window.timezone: not an IANA time zone name"


def _path_as_zone(repo: Path) -> tuple[str, str, str]:
    replace(repo, BASE, "timezone: America/New_York", "timezone: ../../../etc/passwd")
    return BASE, "timezone: ../../../etc/passwd", "spec.deploy_window.timezone: not an IANA time zone name"


def _zone_of_another_exchange(repo: Path) -> tuple[str, str, str]:
    replace(repo, BASE, "timezone: America/New_York", "timezone: Europe/London")
    return BASE, "timezone: Europe/London", "XNYS trades in America/New_York"


def _unknown_exchange(repo: Path) -> tuple[str, str, str]:
    replace(repo, BASE, "calendar: XNYS", "calendar: NYSE")
    return BASE, "calendar: NYSE", "spec.deploy_window.calendar: must be 'XNYS', 'XNAS' or 'XLON'"


def _unknown_key(repo: Path) -> tuple[str, str, str]:
    replace(repo, LIVE, "    allow: market_closed\n", "    allow: market_closed\n    weekends: true\n")
    return LIVE, "weekends: true", "spec.deploy_window.weekends: unknown field"


def _bad_time(repo: Path) -> tuple[str, str, str]:
    replace(
        repo,
        LIVE,
        "    allow: market_closed\n",
        '    allow: windows\n    windows:\n      - {days: [sat], start: "25:00", end: "03:00"}\n',
    )
    return LIVE, 'start: "25:00"', "spec.deploy_window.windows[0].start: must be a time HH:MM from 00:00 to 23:59"


def _unquoted_time(repo: Path) -> tuple[str, str, str]:
    replace(
        repo,
        LIVE,
        "    allow: market_closed\n",
        '    allow: windows\n    windows:\n      - {days: [sat], start: 1000, end: "12:00"}\n',
    )
    return LIVE, "start: 1000", "spec.deploy_window.windows[0].start: must be a string"


def _bad_day(repo: Path) -> tuple[str, str, str]:
    replace(
        repo,
        LIVE,
        "    allow: market_closed\n",
        '    allow: windows\n    windows:\n      - {days: [sat, Sunday], start: "10:00", end: "12:00"}\n',
    )
    return LIVE, "days: [sat, Sunday]", "spec.deploy_window.windows[0].days[1]: must be 'mon', 'tue'"


def _empty_window(repo: Path) -> tuple[str, str, str]:
    replace(
        repo,
        LIVE,
        "    allow: market_closed\n",
        '    allow: windows\n    windows:\n      - days: [sat]\n        start: "10:00"\n        end: "10:00"\n',
    )
    return LIVE, 'end: "10:00"', "start and end are the same time"


def _windows_without_allow_windows(repo: Path) -> tuple[str, str, str]:
    replace(
        repo,
        LIVE,
        "    allow: market_closed\n",
        '    allow: market_closed\n    windows:\n      - {days: [sat], start: "10:00", end: "12:00"}\n',
    )
    return LIVE, "    windows:", "windows are only used with allow: windows"


def _freeze_backwards(repo: Path) -> tuple[str, str, str]:
    replace(
        repo,
        LIVE,
        "    allow: market_closed\n",
        "    allow: market_closed\n    freeze:\n      - start: 2026-12-20\n        end: 2026-12-01\n        reason: year end\n",
    )
    return LIVE, "end: 2026-12-01", "end is before start"


def _margin_too_large(repo: Path) -> tuple[str, str, str]:
    replace(repo, LIVE, "margin_minutes: 60", "margin_minutes: 600")
    return LIVE, "margin_minutes: 600", "must be less than or equal to 240"


def _calendar_changed_over_the_base_zone(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "    allow: market_closed\n", "    calendar: XLON\n    allow: market_closed\n")
    return BASE, "timezone: America/New_York", "XLON trades in Europe/London, not America/New_York"


CASES: list[Breaker] = [
    _calendar_changed_over_the_base_zone,
    _bad_zone,
    _path_as_zone,
    _zone_of_another_exchange,
    _unknown_exchange,
    _unknown_key,
    _bad_time,
    _unquoted_time,
    _bad_day,
    _empty_window,
    _windows_without_allow_windows,
    _freeze_backwards,
    _margin_too_large,
]


@pytest.mark.parametrize("breaks", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_bad_deploy_window_exits_2_at_the_line(breaks: Breaker, sample_repo: Path, run_qm, line_in) -> None:
    file, marker, message = breaks(sample_repo)
    line = line_in(sample_repo / file, marker)

    result = run_qm("validate", sample_repo)

    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    located = [entry for entry in result.err.splitlines() if entry.startswith(f"{file}:{line}:")]
    assert any(message in entry for entry in located), f"expected {file}:{line}: … {message}\ngot:\n{result.err}"


def test_a_mistyped_zone_is_not_echoed(sample_repo: Path, run_qm) -> None:
    replace(sample_repo, BASE, "timezone: America/New_York", "timezone: Hunter2Secret")
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    assert "Hunter2Secret" not in result.output
