"""What a deployment record says beyond who and when (guide §16, §14): the configuration,
migration and strategy changes it carried, and the monitoring window that follows it.

The changes come from the desired-state diff (`quantmatrix.diff`) between the commit that
was deployed before and the one being deployed, as one line of text per changed value — the
same rows, labels and redaction the PR summary uses, so a record never holds a secret value
(the desired state holds only secret *names*, and the diff redacts anything that looks like
a pasted token). Pure functions: the apply calls them and passes the results to
`start_deployment` / `finish_deployment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from quantmatrix.diff.environment import diff_environment
from quantmatrix.diff.rows import Row, environment_rows
from quantmatrix.model.common import Mode
from quantmatrix.model.window import EXCHANGES
from quantmatrix.reconcile import calendar
from quantmatrix.render.inert import one_line

if TYPE_CHECKING:
    from quantmatrix.model.environment import Environment
    from quantmatrix.state import DesiredState

Intensity = Literal["normal", "active", "heightened"]
MAX_CHANGE_TEXT = 300  # one change line in the record; a longer value is cut, never wrapped

# Guide §14: local normal engineering validation; paper active observation through the
# session; live heightened observation for the first release window and first full session.
MODE_INTENSITY: dict[Mode, Intensity] = {
    Mode.local: "normal",
    Mode.backtest: "normal",
    Mode.paper: "active",
    Mode.live: "heightened",
}
DEFAULT_WINDOW_HOURS: dict[Mode, int] = {Mode.local: 2, Mode.backtest: 2, Mode.paper: 8, Mode.live: 24}
_RANK: dict[str, int] = {"normal": 0, "active": 1, "heightened": 2}
_SESSION_SEARCH_DAYS = 31  # longer than any run of closed days of a supported exchange


@dataclass(frozen=True)
class DeploymentChanges:
    """The §16 changes of one deployment, as display lines (names and versions only)."""

    config: tuple[str, ...] = ()
    migrations: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.config or self.migrations or self.strategies)

    def as_record(self) -> dict[str, tuple[str, ...]]:
        """Keyword arguments of `start_deployment`."""
        return {
            "config_changes": self.config,
            "migration_changes": self.migrations,
            "strategy_changes": self.strategies,
        }


def _line(row: Row) -> str:
    """'Risk limits max_daily_loss: 1,000 → 2,000 (+100.0%, increases risk)' on one line."""
    label = row.field if row.area.lower() == row.field.lower() else f"{row.area} {row.field}".strip()
    text = f"{label}: {row.old} → {row.new}" if row.old or row.new else label
    notes = [n for n in (row.note, "increases risk" if row.risky else "") if n]
    if notes:
        text += f" ({', '.join(notes)})"
    text = one_line(text)
    return text if len(text) <= MAX_CHANGE_TEXT else text[: MAX_CHANGE_TEXT - 1] + "…"


def changes_between(old_state: DesiredState | None, new_state: DesiredState, environment: str) -> DeploymentChanges:
    """What deploying `environment` from `old_state` (the previously deployed commit; None for
    the first deployment) to `new_state` changes, sorted into §16's three kinds."""
    diff = diff_environment(environment, old_state, new_state)
    if diff is None:
        return DeploymentChanges()
    config: list[str] = []
    migrations: list[str] = []
    strategies: list[str] = []
    for row in environment_rows(diff):
        if row.area == "Strategies":
            strategies.append(_line(row))
        elif row.area == "Release" and row.field == "migration revision":
            migrations.append(_line(row))
        else:
            config.append(_line(row))
    return DeploymentChanges(tuple(config), tuple(migrations), tuple(strategies))


@dataclass(frozen=True)
class MonitoringWindow:
    """How closely to watch after a deployment, and until when (guide §14)."""

    mode: Mode
    intensity: Intensity
    starts_at: datetime
    ends_at: datetime
    basis: str  # why it ends then, for the record and `qm status`

    def active(self, now: datetime) -> bool:
        return self.starts_at <= calendar.require_aware(now) < self.ends_at


def _session_end(code: str, after: datetime, *, full: bool) -> tuple[datetime, str] | None:
    """The close of the session running at `after` (or the next one), or with `full` of the
    first session that opens at or after `after`; with a description."""
    if not full:
        running = calendar.in_session(code, after)
        if running is not None:
            return running.close.astimezone(UTC), f"end of the {code} session of {running.close:%Y-%m-%d %H:%M %Z}"
    local_day = after.astimezone(ZoneInfo(EXCHANGES[code].timezone)).date()
    for offset in range(_SESSION_SEARCH_DAYS):
        found = calendar.session(code, local_day + timedelta(days=offset))
        if found is not None and found.open >= after:
            what = "first full" if full else "next"
            return found.close.astimezone(UTC), f"end of the {what} {code} session, {found.close:%Y-%m-%d %H:%M %Z}"
    return None


def monitoring_window(
    mode: Mode,
    finished_at: datetime,
    calendar_code: str = "XNYS",
    *,
    window_hours: int | None = None,
    intensity: Intensity | None = None,
) -> MonitoringWindow:
    """The monitoring window after a deployment that finished at `finished_at`.

    At least `window_hours` (the environment's `monitoring.window_hours`, else the mode's
    default). Paper is watched through the trading session it lands in (or the next one);
    live through the first *full* session after the deployment — a deployment finished at
    noon does not count that afternoon as its first session. An environment may ask for a
    stronger intensity than its mode's, never a weaker one."""
    finished = calendar.require_aware(finished_at).astimezone(UTC)
    hours = window_hours if window_hours is not None else DEFAULT_WINDOW_HOURS[mode]
    if hours <= 0:
        raise ValueError("a monitoring window lasts at least one hour")
    level = MODE_INTENSITY[mode]
    if intensity is not None and _RANK[intensity] > _RANK[level]:
        level = intensity
    ends, basis = finished + timedelta(hours=hours), f"{hours} h after the deployment finished"
    if mode in (Mode.paper, Mode.live):
        session = _session_end(calendar_code, finished, full=mode is Mode.live)
        if session is None:
            basis += f" (no {calendar_code} session within {_SESSION_SEARCH_DAYS} days)"
        elif session[0] > ends:
            ends, basis = session
    return MonitoringWindow(mode, level, finished, ends, basis)


def monitoring_for(environment: Environment, finished_at: datetime) -> MonitoringWindow:
    """The window of a deployment of `environment`: its mode, its `monitoring` settings and
    its deploy window's trading calendar (what the apply stores with `finish_deployment`)."""
    spec = environment.spec
    return monitoring_window(
        spec.mode,
        finished_at,
        spec.deploy_window.calendar,
        window_hours=spec.monitoring.window_hours,
        intensity=spec.monitoring.intensity,
    )
