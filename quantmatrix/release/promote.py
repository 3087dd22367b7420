"""`qm promote RELEASE --to ENV`: move an environment's release pin, and what must move with it.

An environment pins its strategy versions and analytics logic version too, and the loader
insists they are the ones its release pins (a mismatch is invalid). So promotion rewrites,
in the environment's own file: `spec.release`, the `version` of every strategy it lists, and
`spec.analytics.logic_version` when the effective value differs. A strategy the environment
runs but the release does not pin is refused: dropping a strategy is a decision for a
reviewed edit, not a side effect of promotion.

Promotion to a live environment needs paper validation evidence (guide §9, "only after
successful paper validation"): `--evidence` names the paper deployment record — its id,
e.g. `dep-paper-2026.11.1-1`, or a YAML file holding the evidence block

    deployment: dep-paper-2026.11.1-1     # the paper deployment record
    release: 2026.11.1
    environment: paper
    result: passed

— and it must match the release's `validation.paper` (same deployment, a paper-mode
environment, `result: passed`).

An id is looked up **in the paper environment's state store** (issue 10: the record in the
store, not only in the manifest) — its `runtime.store`, or `--store URL` — whenever that store
can be read here: it must be a
deployment of that release to a paper-mode environment, succeeded without rollback, every
validation result passed, its observation window over, finished within `max_age`
(`quantmatrix.reconcile.evidence`). A manifest that records a *failed* paper validation
still refuses. Where the store cannot be read here (its URL secret is not set in this shell,
or a SQLite store was never created), the manifest's `validation.paper` is the record, as
before. Either way a refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap

from quantmatrix.edit.apply import check_edits, read_text, write_edits
from quantmatrix.edit.roundtrip import load_document, set_value
from quantmatrix.errors import ConfigError, ExitCode, Problem, QMError
from quantmatrix.model.versions import version_key
from quantmatrix.reconcile.evidence import DEFAULT_MAX_AGE, paper_store, shown_id
from quantmatrix.repo.yamlfile import parse_yaml
from quantmatrix.state import DesiredState

if TYPE_CHECKING:
    from quantmatrix.runtime.store.engine import Store


class PromotionRefused(QMError):
    """A safety rule forbids this promotion (exit 1, like a policy violation)."""

    exit_code = ExitCode.VIOLATIONS


@dataclass(frozen=True)
class Promotion:
    environment: str
    release: str
    previous: str
    file: str
    edits: tuple[tuple[str, Any, Any], ...]  # (field path, old, new) in the environment file
    evidence: str | None = None
    evidence_source: str = ""  # "releases/<v>.yaml validation.paper" or the store's label


def _problem_at(state: DesiredState, path: tuple[str | int, ...], message: str) -> Problem:
    file, line, col = state.locate(path)
    return Problem(file, line, col, ".".join(str(p) for p in path[2:]), message)


def _is_file(reference: str) -> bool:
    """Whether `reference` names a file; a name no file can have (NUL, too long) is an id."""
    try:
        return Path(reference).is_file()
    except (OSError, ValueError):
        return False


def _evidence_block(reference: str) -> dict[str, Any] | None:
    """The evidence block when `reference` is a file, else None (it is a record id)."""
    path = Path(reference)
    if not _is_file(reference):
        return None
    data = parse_yaml(reference, path.read_bytes()).data
    unknown = set(data) - {"deployment", "release", "environment", "result", "completed", "approved"}
    if unknown or not isinstance(data.get("deployment"), str):
        raise ConfigError(
            Problem(
                reference,
                1,
                1,
                message="an evidence block has deployment (the paper deployment record id), release, environment and result",
            )
        )
    return data


def check_live_evidence(state: DesiredState, release: str, evidence: str | None) -> str:
    """The paper deployment id that allows `release` into live; `PromotionRefused` otherwise."""
    paper = state.releases[release].spec.validation.paper
    where = ("releases", release, "spec", "validation")
    if paper is None or paper.result != "passed":
        state_text = (
            "records no paper validation"
            if paper is None
            else f"failed paper validation ({paper.deployment or 'no record'})"
        )
        raise PromotionRefused(_problem_at(state, where, f"release {release} {state_text}; it cannot go live"))
    paper_env = state.environments.get(paper.environment)
    if paper_env is None or paper_env.spec.mode.value != "paper":
        raise PromotionRefused(
            _problem_at(state, (*where, "paper", "environment"), f"'{paper.environment}' is not a paper environment")
        )
    if not evidence:
        raise PromotionRefused(
            _problem_at(
                state,
                (*where, "paper"),
                f"promotion to live needs --evidence: the paper deployment record of {release} ({paper.deployment or 'none recorded'})",
            )
        )
    block = _evidence_block(evidence)
    claimed = block["deployment"] if block else evidence
    mismatches = []
    if paper.deployment is None or claimed != paper.deployment:
        mismatches.append(
            f"evidence names deployment '{shown_id(str(claimed))}', but release {release} records '{paper.deployment}'"
        )
    if block is not None:
        for key, expected in (("release", release), ("environment", paper.environment), ("result", "passed")):
            if str(block.get(key)) != expected:
                mismatches.append(f"evidence {key} is '{shown_id(str(block.get(key)))}', expected '{expected}'")
    if mismatches:
        raise PromotionRefused([_problem_at(state, (*where, "paper", "deployment"), m) for m in mismatches])
    return claimed


def check_store_live_evidence(
    state: DesiredState,
    release: str,
    evidence: str | None,
    store: Store,
    *,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> str:
    """The deployment id when the paper deployment `evidence` in `store` allows `release`
    into live; `PromotionRefused` (exit 1) otherwise."""
    from quantmatrix.reconcile.evidence import check_store_evidence  # the store: SQLAlchemy, only when asked

    where = ("releases", release, "spec", "validation")
    paper = state.releases[release].spec.validation.paper
    if not evidence:
        raise PromotionRefused(
            _problem_at(
                state,
                where,
                f"promotion to live needs --evidence: the id of a paper deployment of {release} in the state store",
            )
        )
    if _is_file(evidence):
        raise ConfigError(
            Problem(
                subject="--evidence",
                message="with --store, --evidence is a deployment id from the store, not an evidence file",
            )
        )
    if paper is not None and paper.result != "passed":
        raise PromotionRefused(
            _problem_at(
                state,
                (*where, "paper", "result"),
                f"release {release} records a failed paper validation ({paper.deployment or 'no record'}); it cannot go live",
            )
        )

    def mode_of(name: str) -> str | None:
        found = state.environments.get(name)
        return None if found is None else found.spec.mode.value

    record, problems = check_store_evidence(store, evidence, release, now=now, max_age=max_age, mode_of=mode_of)
    if record is None:
        raise PromotionRefused([Problem(subject="--evidence", message=p) for p in problems])
    if problems:
        raise PromotionRefused(
            [
                Problem(
                    subject="--evidence", message=f"deployment {record.id} is not paper evidence for {release}: {p}"
                )
                for p in problems
            ]
        )
    return record.id


def _edit_environment(
    state: DesiredState, root: Path, name: str, release: str
) -> tuple[str, str, list[tuple[str, Any, Any]]]:
    """The environment file's new text and the list of edits made to it."""
    layered = state.effective[name]
    file = layered.layers[0].file
    doc = load_document(file, read_text(root, file))
    spec = doc.data.get("spec")
    if not isinstance(spec, CommentedMap):
        raise ConfigError(Problem(file, 1, 1, "spec", "cannot promote: the file has no spec mapping"))
    pinned = state.releases[release].spec
    edits: list[tuple[str, Any, Any]] = []

    def change(mapping: CommentedMap, key: str, new: Any, label: str) -> None:
        old = mapping.get(key)
        if old != new:
            set_value(mapping, key, new)
            edits.append((label, None if old is None else str(old), new))

    change(spec, "release", release, "spec.release")
    problems = []
    for i, strategy in enumerate(spec.get("strategies") or []):
        version = pinned.strategies.get(strategy.get("name"))
        if version is None:
            problems.append(
                _problem_at(
                    state,
                    ("environments", name, "spec", "strategies", i, "name"),
                    f"{name} runs strategy '{strategy.get('name')}', which release {release} does not pin; remove it or pin it first",
                )
            )
        else:
            change(strategy, "version", version, f"spec.strategies[{i}].version ({strategy.get('name')})")
    if problems:
        raise ConfigError(problems)
    effective_logic = (layered.data["spec"].get("analytics") or {}).get("logic_version")
    if effective_logic != pinned.analytics.logic_version:
        analytics = spec.setdefault("analytics", CommentedMap())
        change(analytics, "logic_version", pinned.analytics.logic_version, "spec.analytics.logic_version")
    return file, doc.dump(), edits


def _live_evidence(
    state: DesiredState,
    root: Path,
    release: str,
    evidence: str | None,
    store_url: str | None,
    *,
    now: datetime | None,
    max_age: timedelta,
) -> tuple[str, str]:
    """(deployment id, where it was found): the store given, else the paper environment's
    store when it can be read here, else the release manifest (or an evidence file)."""
    store = None
    if store_url is not None:
        from quantmatrix.runtime.targets import open_store_url

        store = open_store_url(store_url)
    elif evidence and not _is_file(evidence):
        store, _why = paper_store(state, release, evidence, root)  # None: the manifest is the record
    if store is None:
        return check_live_evidence(state, release, evidence), f"releases/{release} validation.paper"
    try:
        return check_store_live_evidence(
            state, release, evidence, store, now=now, max_age=max_age
        ), f"the state store {store.label}"
    finally:
        store.close()


def write_promotion(
    state: DesiredState,
    root: str | Path,
    release: str,
    environment: str,
    evidence: str | None = None,
    dry_run: bool = False,
    *,
    store_url: str | None = None,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Promotion:
    """Pin `environment` to `release` in its file under `root` (validated, atomic); `state` is
    the desired state loaded from `root` (`usecases.promote` loads it); see the module docstring."""
    root = Path(root)
    if release not in state.releases:
        known = ", ".join(sorted(state.releases, key=version_key))
        raise ConfigError(Problem(subject="RELEASE", message=f"no release {release} in releases/ (have: {known})"))
    if environment not in state.environments:
        known = ", ".join(sorted(state.environments))
        raise ConfigError(Problem(subject="--to", message=f"no environment '{environment}' (have: {known})"))
    env = state.environments[environment]
    proof, source = None, ""
    if env.spec.mode.value == "live":
        proof, source = _live_evidence(state, root, release, evidence, store_url, now=now, max_age=max_age)
    file, text, edits = _edit_environment(state, root, environment, release)
    if edits and not dry_run:
        write_edits(root, {file: text})
    elif edits:
        check_edits(root, {file: text})  # a dry run still proves the result would validate
    return Promotion(environment, release, env.spec.release, file, tuple(edits), proof, source)
