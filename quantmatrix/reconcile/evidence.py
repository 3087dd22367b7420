"""Paper evidence for live (guide §9 "live only after successful paper validation"; issue 10
readiness): a deployment record **in the paper environment's state store**, not only a line in
the release manifest.

A record counts when it deploys that release, to an environment in paper mode, finished as
`succeeded` without a rollback, with validation results recorded and every one passed, its
monitoring window (paper: active observation through the session) over, and finished
recently enough. `store_evidence_problems` says every reason one does not; `paper_evidence`
is what the apply's readiness step asks for live, in the store `paper_store` finds: the paper
environment's own (paper and live keep their state apart), the one `qm promote` reads too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from quantmatrix.render.inert import one_line

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only by the functions that read it
    from pathlib import Path

    from quantmatrix.runtime.store.deployments import DeploymentRecord
    from quantmatrix.runtime.store.engine import Store
    from quantmatrix.state import DesiredState

DEFAULT_MAX_AGE = timedelta(days=30)  # the same default as `qm promote --max-evidence-age`
# the store's id column is 64 characters; ids read dep-<environment>-<release>-<n>
DEPLOYMENT_ID = re.compile(r"^dep-[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
PAPER = "paper"


def valid_deployment_id(text: str) -> bool:
    return bool(DEPLOYMENT_ID.fullmatch(text))


def shown_id(text: str, limit: int = 80) -> str:
    """A possibly hostile id as it may appear in a message: one line, control characters
    visible, secrets redacted, cut to `limit` characters."""
    shown = one_line(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def store_evidence_problems(
    record: DeploymentRecord,
    release: str,
    now: datetime,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    mode_of: Callable[[str], str | None] = lambda _name: None,
) -> list[str]:
    """Why `record` is not evidence that `release` passed paper (empty: it is).

    `mode_of(environment)` gives the mode the desired state assigns that environment today
    (None if unknown); a record written before the store kept the mode is judged by it alone."""
    problems: list[str] = []
    if record.release != release:
        problems.append(f"it deployed release {record.release}, not {release}")
    mode = record.mode or mode_of(record.environment)
    if mode != PAPER:
        problems.append(f"it deployed environment '{record.environment}', whose mode is {mode or 'unknown'}, not paper")
    elif record.mode is None and mode_of(record.environment) != PAPER:
        problems.append(f"environment '{record.environment}' is not a paper environment")
    if record.status != "succeeded":
        problems.append(f"its status is {record.status}, not succeeded")
    if record.rollback_used:
        problems.append("it used a rollback")
    if not record.validation:
        problems.append("it recorded no validation results")
    failed = [check.name for check in record.validation if not check.passed]
    if failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        problems.append(f"{len(failed)} validation result(s) failed: {shown}")
    if record.status == "succeeded" and record.finished_at is None:
        problems.append("it has no finish time")
    if record.finished_at is not None:
        age = now - record.finished_at
        if age > max_age:
            problems.append(
                f"it finished {record.finished_at:%Y-%m-%d %H:%M} UTC, {age.days} days ago: older than {max_age.days} days"
            )
        if age < timedelta(0):
            problems.append(f"it finished in the future ({record.finished_at:%Y-%m-%d %H:%M} UTC)")
    if record.monitoring_until is not None and record.monitoring_until > now:
        problems.append(f"its paper observation window runs until {record.monitoring_until:%Y-%m-%d %H:%M} UTC")
    return [one_line(p) for p in problems]


def check_store_evidence(
    store: Store,
    deployment_id: str,
    release: str,
    *,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    mode_of: Callable[[str], str | None] = lambda _name: None,
) -> tuple[DeploymentRecord | None, list[str]]:
    """The record `deployment_id` and why it is not evidence for `release` (empty: it is).
    An id that is not one (wrong shape, too long, control characters) is never queried."""
    from quantmatrix.runtime.store.deployments import get_deployment

    if not valid_deployment_id(deployment_id):
        return None, [f"'{shown_id(deployment_id)}' is not a deployment id (dep-<environment>-<release>-<n>)"]
    record = get_deployment(store, deployment_id)
    if record is None:
        return None, [f"no deployment {deployment_id} in the state store {store.label}"]
    return record, store_evidence_problems(record, release, now or datetime.now(UTC), max_age=max_age, mode_of=mode_of)


def paper_evidence(
    store: Store,
    release: str,
    *,
    environment: str | None = None,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    mode_of: Callable[[str], str | None] = lambda _name: None,
) -> DeploymentRecord | None:
    """The newest record in `store` that is paper evidence for `release` (of `environment`
    only, when given), or None: the readiness check the apply runs before a live deployment."""
    from quantmatrix.runtime.store.deployments import deployment_history

    moment = now or datetime.now(UTC)
    for record in deployment_history(store, environment, release=release, status="succeeded"):
        if not store_evidence_problems(record, release, moment, max_age=max_age, mode_of=mode_of):
            return record
    return None


def paper_store(state: DesiredState, release: str, evidence: str | None, root: str | Path) -> tuple[Store | None, str]:
    """The state store of the paper environment the evidence comes from — the one the release's
    `validation.paper` names, else the paper environment the id names (`dep-<env>-…`), else the
    only paper environment — and, when there is none to read from here, why: no such
    environment, its URL secret has no value in this shell, or its SQLite store was never
    created. A secret out of scope or a database that cannot be reached still raises."""
    from quantmatrix.runtime.secrets import SecretMissing
    from quantmatrix.runtime.targets import open_environment_store

    papers = sorted(name for name, env in state.environments.items() if env.spec.mode.value == PAPER)
    named = state.releases[release].spec.validation.paper
    if named is not None and named.environment in papers:
        chosen: str | None = named.environment
    else:
        matching = [name for name in papers if evidence and evidence.startswith(f"dep-{name}-")]
        chosen = max(matching, key=len) if matching else (papers[0] if len(papers) == 1 else None)
    if chosen is None:
        return None, "no paper environment to read the evidence from"
    try:
        store = open_environment_store(state, chosen, root)
    except SecretMissing as missing:
        return None, f"the state store of '{chosen}' cannot be read here: {one_line(missing.problems[0].message)}"
    return store, "" if store is not None else f"'{chosen}' has no state store yet"
