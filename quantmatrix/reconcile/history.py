"""`qm history`: an environment's deployment records (guide §16), newest first.

Unlimited: every record is kept (Argo CD keeps 10, Flux 5) and the query pages instead —
`limit`, `offset` and `since` narrow what is read, `total` says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.runtime.store.deployments import DeploymentRecord, count_deployments, deployment_history
from quantmatrix.runtime.store.engine import Store

MAX_LIMIT = 1_000_000  # a bound on the number, not on the records kept


@dataclass(frozen=True)
class History:
    environment: str
    store: str  # the store's label: its URL without password or query
    records: tuple[DeploymentRecord, ...]
    total: int  # records matching `since`, before `limit`/`offset`
    limit: int | None = None
    offset: int = 0
    since: datetime | None = None

    @property
    def truncated(self) -> bool:
        return self.offset + len(self.records) < self.total


def parse_since(text: str) -> datetime:
    """`2026-11-20` (midnight UTC) or an ISO 8601 date-time (UTC when it has no offset)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=ZoneInfo("UTC"))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            Problem(subject="--since", message="expected a date YYYY-MM-DD or an ISO 8601 date-time")
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


def load_history(
    store: Store,
    environment: str,
    *,
    limit: int | None = None,
    offset: int = 0,
    since: datetime | None = None,
) -> History:
    """The records of `environment` in `store`, newest first, with their incidents and checks."""
    if limit is not None and not 0 < limit <= MAX_LIMIT:
        raise ConfigError(Problem(subject="--limit", message=f"must be between 1 and {MAX_LIMIT:,}"))
    if not 0 <= offset <= MAX_LIMIT:
        raise ConfigError(Problem(subject="--offset", message=f"must be between 0 and {MAX_LIMIT:,}"))
    total = count_deployments(store, environment, since=since)
    records = deployment_history(store, environment, limit, since=since, offset=offset)
    return History(environment, store.label, tuple(records), total, limit, offset, since)
