"""Readiness (guide §5, §9, §11 step 1), decided at apply time, before anything changes:
the policy gate re-run on the exact tree being applied, the deploy window (break-glass may
override it, and is recorded), and for live the go-live preconditions, the people on duty,
and a successful paper deployment of the release **in the state store**."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from quantmatrix.errors import Problem, Refused
from quantmatrix.model.common import Mode
from quantmatrix.model.environment import Approvals, Environment
from quantmatrix.model.release import Release
from quantmatrix.reconcile.window import decide, resolve
from quantmatrix.repo.source import Source
from quantmatrix.runtime.store import Store
from quantmatrix.state import DesiredState


@dataclass(frozen=True)
class Readiness:
    notes: tuple[str, ...]  # what was checked and passed, for the journal
    break_glass: str | None = None  # the window was closed and overridden: the reason given
    window_message: str = ""
    operator: str | None = None
    engineer: str | None = None


def _refuse(environment: str, message: str) -> Refused:
    return Refused(Problem(f"environments/{environment}.yaml", message=message))


def paper_evidence(
    store: Store, release: Release, state: DesiredState, now: datetime, root: str | Path = "."
) -> tuple[str | None, list[str]]:
    """The id of a paper deployment of `release` that is evidence for live (the one the release
    cites, when it names one), looked up in the paper environment's own state store — where
    paper's apply wrote it and `qm promote --to live --evidence` found it — else, when that
    store cannot be read from here, in `store` (the live environment's): the same judgement
    as `qm promote` (`reconcile/evidence.py`: paper mode, succeeded without rollback, every
    validation result passed, observation window over, recent enough); else None and why."""
    from quantmatrix.reconcile import evidence

    validation = release.spec.validation.paper
    cited = validation.deployment if validation else None
    paper, why_not = evidence.paper_store(state, release.metadata.name, cited, root)
    try:
        return _evidence_in(paper or store, release, state, now, [why_not] if paper is None and why_not else [])
    finally:
        if paper is not None:
            paper.close()


def _evidence_in(
    store: Store, release: Release, state: DesiredState, now: datetime, notes: list[str]
) -> tuple[str | None, list[str]]:
    from quantmatrix.reconcile import evidence

    validation = release.spec.validation.paper
    paper_env = validation.environment if validation else None

    def mode_of(name: str) -> str | None:
        environment = state.environments.get(name)
        return environment.spec.mode.value if environment is not None else None

    if validation is not None and validation.deployment is not None:
        record, problems = evidence.check_store_evidence(
            store, validation.deployment, release.metadata.name, now=now, mode_of=mode_of
        )
        if record is not None and not problems:
            return record.id, []
        return None, [*notes, *(f"{evidence.shown_id(validation.deployment)}: {problem}" for problem in problems)]
    found = evidence.paper_evidence(store, release.metadata.name, environment=paper_env, now=now, mode_of=mode_of)
    return (found.id, []) if found is not None else (None, notes)


def check_readiness(
    state: DesiredState,
    source: Source,
    environment: Environment,
    release: Release,
    store: Store,
    *,
    now: datetime,
    operator: str | None = None,
    engineer: str | None = None,
    break_glass: str | None = None,
    root: str | Path = ".",
) -> Readiness:
    from quantmatrix.policy.gate import run_check

    name, spec = environment.metadata.name, environment.spec
    result = run_check(state, source=source, today=now.date())
    if not result.passed:
        first = "; ".join(f"{f.rule.id} {f.message}" for f in result.denials[:3])
        raise Refused(
            Problem(
                "policies",
                message=f"the policy gate fails on the tree being applied ({len(result.denials)} denial(s)): {first}",
            )
        )
    notes = [f"policy gate passed ({len(result.findings)} finding(s), no denial)"]
    window = decide(resolve(spec.deploy_window, spec.mode), now)
    if not window.allowed and not break_glass:
        raise _refuse(name, window.message() + " (--break-glass REASON overrides it, and is recorded as an incident)")
    notes.append(window.message() if window.allowed else f"BREAK-GLASS over a closed window: {break_glass}")
    operator = operator or spec.staffing.operator
    engineer = engineer or spec.staffing.engineer_on_standby
    if spec.mode is Mode.live:
        missing = [field for field in Approvals.model_fields if getattr(spec.approvals, field) is None]
        if missing:
            raise _refuse(name, f"live preconditions not recorded: approvals.{', approvals.'.join(missing)}")
        if not operator or not engineer:
            raise _refuse(
                name, "live needs an operator and an engineer on standby (staffing, or --operator/--engineer)"
            )
        evidence, why = paper_evidence(store, release, state, now, root)
        if evidence is None:
            reasons = f" ({'; '.join(why)})" if why else ""
            raise _refuse(
                name,
                f"release {release.metadata.name} has no successful paper deployment record in the state store{reasons}: deploy it to paper first",
            )
        notes.append(
            f"live preconditions recorded; operator {operator}, engineer {engineer}; paper evidence {evidence}"
        )
    return Readiness(tuple(notes), break_glass if not window.allowed else None, window.message(), operator, engineer)
