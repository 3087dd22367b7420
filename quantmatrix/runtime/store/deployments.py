"""Deployment records (guide §16) and applied configuration versions. Unlimited, queryable.

Ids read `dep-<environment>-<release>-<n>`, the form release manifests cite as paper evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from quantmatrix.runtime.store.control_state import utc
from quantmatrix.runtime.store.engine import Store
from quantmatrix.runtime.store.events import CheckRecord, IncidentRecord, _text, check_results, incidents
from quantmatrix.runtime.store.tables import AppliedConfig, Deployment, table

Status = Literal["running", "succeeded", "failed", "rolled_back"]
FINAL: tuple[Status, ...] = ("succeeded", "failed", "rolled_back")


class DeploymentRecord(BaseModel):
    """One deployment as `qm history` shows it: every field of guide §16."""

    model_config = ConfigDict(frozen=True)

    id: str
    environment: str
    release: str
    previous_release: str | None
    status: Status
    started_at: datetime
    finished_at: datetime | None
    operator: str | None
    engineer: str | None
    commit: str | None
    config_version: str | None
    config_changes: tuple[str, ...]
    migration_changes: tuple[str, ...]
    strategy_changes: tuple[str, ...]
    rollback_used: bool
    rollback_of: str | None
    break_glass_reason: str | None
    monitoring_until: datetime | None
    summary: str
    mode: str | None = None  # the environment's mode when deployed (None: recorded before c0002)
    monitoring_intensity: str | None = None  # guide §14: normal | active | heightened
    monitoring_basis: str | None = None  # why the monitoring window ends at monitoring_until
    changes_basis: str | None = None  # what the changes come from (None: recorded before c0003)
    incidents: tuple[IncidentRecord, ...] = ()
    validation: tuple[CheckRecord, ...] = ()


def _now(now: datetime | None) -> datetime:
    return utc(now) if now is not None else datetime.now(UTC)


def start_deployment(
    store: Store,
    environment: str,
    release: str,
    *,
    previous_release: str | None = None,
    operator: str | None = None,
    engineer: str | None = None,
    commit: str | None = None,
    config_version: str | None = None,
    config_changes: Sequence[str] = (),
    migration_changes: Sequence[str] = (),
    strategy_changes: Sequence[str] = (),
    changes_basis: str | None = None,
    rollback_of: str | None = None,
    break_glass_reason: str | None = None,
    mode: str | None = None,
    now: datetime | None = None,
) -> str:
    """Record a deployment as running and return its id."""
    for _ in range(20):
        try:
            with store.begin() as conn:
                count = conn.execute(
                    select(func.count())
                    .select_from(table(Deployment))
                    .where(Deployment.environment == environment, Deployment.release == release)
                ).scalar_one()
                deployment_id = f"dep-{environment}-{release}-{count + 1}"
                conn.execute(
                    insert(table(Deployment)).values(
                        id=deployment_id,
                        environment=environment,
                        release=release,
                        previous_release=previous_release,
                        status="running",
                        started_at=_now(now),
                        operator=operator,
                        engineer=engineer,
                        commit=commit,
                        config_version=config_version,
                        config_changes=list(config_changes),
                        migration_changes=list(migration_changes),
                        strategy_changes=list(strategy_changes),
                        changes_basis=None if changes_basis is None else _text(changes_basis, "changes basis"),
                        rollback_used=rollback_of is not None,
                        rollback_of=rollback_of,
                        break_glass_reason=break_glass_reason,
                        mode=None if mode is None else _text(mode, "mode"),  # Mode.paper → "paper"
                        summary="",
                    )
                )
                return deployment_id
        except IntegrityError:
            continue  # another process took the same number: count again
    raise RuntimeError(f"could not allocate a deployment id for {environment} {release}")


def finish_deployment(
    store: Store,
    deployment_id: str,
    status: Status,
    *,
    summary: str = "",
    rollback_used: bool | None = None,
    monitoring_until: datetime | None = None,
    monitoring_intensity: str | None = None,
    monitoring_basis: str | None = None,
    now: datetime | None = None,
) -> None:
    if status not in FINAL:
        raise ValueError(f"a deployment finishes as one of {', '.join(FINAL)}, not {status}")
    values: dict[str, Any] = {"status": status, "finished_at": _now(now), "summary": summary}
    if rollback_used is not None:
        values["rollback_used"] = rollback_used
    if monitoring_until is not None:
        values["monitoring_until"] = utc(monitoring_until)
    if monitoring_intensity is not None:
        values["monitoring_intensity"] = _text(monitoring_intensity, "monitoring intensity")
    if monitoring_basis is not None:
        values["monitoring_basis"] = _text(monitoring_basis, "monitoring basis")
    with store.begin() as conn:
        done = conn.execute(update(table(Deployment)).where(Deployment.id == deployment_id).values(**values))
        if done.rowcount != 1:
            raise KeyError(f"no deployment {deployment_id}")


def _record(
    conn: Connection,
    row: Any,
    found_incidents: Sequence[IncidentRecord] | None = None,
    found_checks: Sequence[CheckRecord] | None = None,
) -> DeploymentRecord:
    return record_of(
        dict(row._mapping),
        found_incidents if found_incidents is not None else incidents(conn, deployment_id=row.id),
        found_checks if found_checks is not None else check_results(conn, deployment_id=row.id),
    )


def record_of(
    data: dict[str, Any], found_incidents: Sequence[IncidentRecord], found_checks: Sequence[CheckRecord]
) -> DeploymentRecord:
    """A record from the columns of one `qm_deployments` row."""
    for key in ("started_at", "finished_at", "monitoring_until"):
        if data[key] is not None:
            data[key] = utc(data[key])
    for key in ("config_changes", "migration_changes", "strategy_changes"):
        data[key] = tuple(data[key])
    data["incidents"] = tuple(found_incidents)
    data["validation"] = tuple(found_checks)
    return DeploymentRecord.model_validate(data)


_IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


def _records(conn: Connection, rows: list[Any]) -> list[DeploymentRecord]:
    """Records for `rows` with their incidents and check results read in a few queries for
    the whole page, not two per deployment (5,000 records: one second rather than six)."""
    ids = [row.id for row in rows]
    by_incident: dict[str, list[IncidentRecord]] = {i: [] for i in ids}
    by_check: dict[str, list[CheckRecord]] = {i: [] for i in ids}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        for incident in incidents(conn, deployment_ids=chunk):
            by_incident[str(incident.deployment_id)].append(incident)
        for check in check_results(conn, deployment_ids=chunk):
            by_check[str(check.deployment_id)].append(check)
    return [_record(conn, row, by_incident[row.id], by_check[row.id]) for row in rows]


def deployment_history(
    store: Store,
    environment: str | None = None,
    limit: int | None = None,
    *,
    since: datetime | None = None,
    offset: int = 0,
    release: str | None = None,
    status: Status | None = None,
) -> list[DeploymentRecord]:
    """Newest first; every record unless `limit` is given (`offset` pages on, `since` keeps
    deployments started at or after it; `release`/`status` filter)."""
    query = select(table(Deployment)).order_by(Deployment.started_at.desc(), Deployment.id.desc())
    if environment is not None:
        query = query.where(Deployment.environment == environment)
    if release is not None:
        query = query.where(Deployment.release == release)
    if status is not None:
        query = query.where(Deployment.status == status)
    if since is not None:
        query = query.where(Deployment.started_at >= utc(since))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.begin(readonly=True) as conn:
        return _records(conn, list(conn.execute(query)))


def count_deployments(store: Store, environment: str | None = None, *, since: datetime | None = None) -> int:
    """How many records `deployment_history` would return without a limit."""
    query = select(func.count()).select_from(table(Deployment))
    if environment is not None:
        query = query.where(Deployment.environment == environment)
    if since is not None:
        query = query.where(Deployment.started_at >= utc(since))
    with store.begin(readonly=True) as conn:
        return int(conn.execute(query).scalar_one())


def get_deployment(store: Store, deployment_id: str) -> DeploymentRecord | None:
    with store.begin(readonly=True) as conn:
        row = conn.execute(select(table(Deployment)).where(Deployment.id == deployment_id)).first()
        return None if row is None else _record(conn, row)


def last_deployment(store: Store, environment: str, status: Status | None = None) -> DeploymentRecord | None:
    with store.begin(readonly=True) as conn:
        return last_deployment_in(conn, environment, status)


def last_deployment_in(
    conn: Connection, environment: str, status: Status | None = None, *, details: bool = True
) -> DeploymentRecord | None:
    """`last_deployment` inside a caller's transaction; `details=False` leaves its incidents and
    check results out (two queries a reconcile pass does not need)."""
    row = conn.execute(last_deployment_query(environment, status)).first()
    if row is None:
        return None
    return _record(conn, row) if details else _record(conn, row, (), ())


def last_deployment_query(environment: str, status: Status | None = None) -> Select[Any]:
    query = select(table(Deployment)).where(Deployment.environment == environment)
    if status is not None:
        query = query.where(Deployment.status == status)
    return query.order_by(Deployment.started_at.desc(), Deployment.id.desc()).limit(1)


def record_config_applied(
    store: Store,
    environment: str,
    config_version: str,
    release: str,
    *,
    commit: str | None = None,
    deployment_id: str | None = None,
    now: datetime | None = None,
) -> None:
    with store.begin() as conn:
        conn.execute(
            insert(table(AppliedConfig)).values(
                environment=environment,
                config_version=config_version,
                release=release,
                commit=commit,
                deployment_id=deployment_id,
                applied_at=_now(now),
            )
        )


class AppliedConfigRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    config_version: str
    release: str
    commit: str | None
    deployment_id: str | None
    applied_at: datetime


def applied_config_version(store: Store, environment: str) -> AppliedConfigRecord | None:
    """The configuration version last applied to `environment`."""
    with store.begin(readonly=True) as conn:
        return applied_config_in(conn, environment)


def applied_config_in(conn: Connection, environment: str) -> AppliedConfigRecord | None:
    """`applied_config_version` inside a caller's transaction."""
    row = conn.execute(applied_config_query(environment)).first()
    return None if row is None else applied_record_of(dict(row._mapping))


def applied_record_of(data: dict[str, Any]) -> AppliedConfigRecord:
    return AppliedConfigRecord.model_validate({**data, "applied_at": utc(data["applied_at"])})


def applied_config_query(environment: str) -> Select[str, str, str | None, str | None, datetime]:
    return (
        select(
            AppliedConfig.config_version,
            AppliedConfig.release,
            AppliedConfig.commit,
            AppliedConfig.deployment_id,
            AppliedConfig.applied_at,
        )
        .where(AppliedConfig.environment == environment)
        .order_by(AppliedConfig.id.desc())
        .limit(1)
    )
