"""The policy gate: one run of the pack over the desired state → a `CheckResult`.

Library entry point of `qm check` (and of `qm check --base`, which adds `change`). The input
is built and serialised once, the engine answers `data.qm.rules` in one query, and every
finding is joined with its rule's METADATA and located at the YAML line that wrote the value.
A finding the pack cannot explain (no METADATA, severity mismatch, malformed) fails closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantmatrix.errors import PolicyError, Problem
from quantmatrix.policy.engines import engine as select_engine
from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta, Severity, finding_order, target_of
from quantmatrix.policy.input import input_json, policy_input
from quantmatrix.policy.pack import PACKAGE_LINE, POLICY_DIR, Builtin, Pack, load_pack
from quantmatrix.repo.source import Source, from_git_root, open_source
from quantmatrix.state import DesiredState

if TYPE_CHECKING:
    from quantmatrix.policy.waivers import WaiverFile


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=finding_order))


def _path(raw: Any) -> tuple[str | int, ...] | None:
    if type(raw) is not list:
        return None
    for part in raw:  # a plain loop: this runs once per finding, thousands on big repositories
        if type(part) is not str and type(part) is not int:
            return None
    return tuple(raw)


Locate = Callable[[tuple[str | int, ...]], tuple[str, int, int]]


def _finding(raw: Any, severity: Severity, package: str, rules: Mapping[str, RuleMeta], locate: Locate) -> Finding:
    where = f"data.qm.rules.{package}.{severity}"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise PolicyError(
            Problem(subject="policies", message=f"{where}: a finding must be an object with id, msg and path")
        )
    meta = rules.get(raw["id"])
    if meta is None:
        raise PolicyError(
            Problem(
                subject="policies",
                message=f"{where}: rule {raw['id']} has no METADATA block (title, custom.id, custom.severity, custom.guide)",
            )
        )
    if meta.severity != severity:
        raise PolicyError(
            Problem(
                meta.file, meta.line, 1, "METADATA", f"{meta.id} is declared {meta.severity} but reported in {severity}"
            )
        )
    path = _path(raw.get("path", []))
    if path is None or not isinstance(raw.get("msg"), str):
        raise PolicyError(
            Problem(
                meta.file, meta.line, 1, meta.id, "a finding needs msg (string) and path (list of keys and indexes)"
            )
        )
    file, line, col = locate(path)
    if not file:  # a path outside the desired-state files (e.g. into `change`): point at the rule
        file, line, col = meta.file, meta.line, 1
    return Finding(meta, raw["msg"], path, file, line, col, target_of(path))


def unevaluated_rules(pack: Pack, rules_doc: Mapping[str, Any]) -> list[Problem]:
    """Fail closed on silence: every rule with METADATA must come back as a `deny`/`warn` set
    of its package (empty when it found nothing). A rule outside `qm.rules.<area>` (a typo
    in `package`) or a set the engine did not return would otherwise pass without a word."""
    packages = {path: match.group(1) for path, text in pack.modules if (match := PACKAGE_LINE.search(text))}
    problems = []
    for meta in pack.rules.values():
        package = packages.get(meta.file, "")
        area = package.removeprefix("qm.rules.")
        if not package.startswith("qm.rules.") or "." in area:
            problems.append(
                Problem(
                    meta.file,
                    meta.line,
                    1,
                    meta.id,
                    f"rule is in package '{package}'; rules live in package qm.rules.<area>",
                )
            )
            continue
        values = rules_doc.get(area)
        if not isinstance(values, dict) or meta.severity not in values:
            problems.append(
                Problem(
                    meta.file,
                    meta.line,
                    1,
                    meta.id,
                    f"the engine returned no '{meta.severity}' set for package {package}: the rule was not evaluated",
                )
            )
    return problems


def locator(state: DesiredState, waivers: WaiverFile | None = None) -> Locate:
    """file, line, col of a path into the policy input: the desired state's files, and the
    waivers file for `("waivers", file, ...)`."""

    def locate(path: tuple[str | int, ...]) -> tuple[str, int, int]:
        if (
            path[:1] == ("waivers",)
            and waivers is not None
            and waivers.position is not None
            and path[1:2] == (waivers.file,)
        ):
            return (waivers.file, *waivers.position(path[2:]))
        return state.locate(path)

    return locate


def collect_findings(
    rules_doc: Mapping[str, Any], rules: Mapping[str, RuleMeta], state: DesiredState, waivers: WaiverFile | None = None
) -> list[Finding]:
    """Every package's `deny` and `warn` sets → located findings (duplicates once)."""
    locate = locator(state, waivers)
    found: dict[tuple[str, str, tuple[str | int, ...]], Finding] = {}
    for package in sorted(rules_doc):
        values = rules_doc[package]
        if not isinstance(values, dict):
            continue
        for severity in ("deny", "warn"):
            found_set = values.get(severity) or []
            if not isinstance(found_set, list):  # sets arrive as JSON arrays
                raise PolicyError(
                    Problem(
                        subject="policies",
                        message=f"data.qm.rules.{package}.{severity} must be a set of findings (`{severity} contains f if ...`)",
                    )
                )
            for raw in found_set:
                finding = _finding(raw, severity, package, rules, locate)
                found.setdefault((finding.rule.id, finding.message, finding.path), finding)
    return list(found.values())


def run_check(
    state: DesiredState,
    *,
    source: Source | None = None,
    policy_dir: str = POLICY_DIR,
    engine: str = "embedded",
    opa_url: str | None = None,
    waivers: str | Path | None = None,
    change: dict[str, Any] | None = None,
    today: dt.date | str | None = None,
    fail_on_warn: bool = False,
    builtin: Builtin = "installed",
) -> CheckResult:
    """Evaluate the built-in pack plus the repository's pack of `source` (default: the
    current directory) over `state`. `builtin`: see `load_pack`.

    `waivers`: a waivers file on disk; by default `policies/waivers.yaml` of `source`, if any.
    Raises `PolicyError` (broken pack, engine failure) or `RuntimeUnavailable` (OPA down).
    """
    from quantmatrix.policy.waiver_bounds import Bounds, load_approvers, max_days
    from quantmatrix.policy.waivers import apply_waivers, load_waivers

    source = source if source is not None else open_source(".")
    runner = select_engine(engine)
    pack = load_pack(source, policy_dir, builtin=builtin)
    day = dt.date.fromisoformat(today) if isinstance(today, str) else (today or dt.date.today())
    waiver_file = load_waivers(source, policy_dir, waivers)
    document = policy_input(
        state, change=change, today=day, waivers=(waiver_file.file, waiver_file.data) if waiver_file else None
    )
    rules_doc = runner.evaluate(pack, input_json(document), url=opa_url)
    findings = collect_findings(rules_doc, pack.rules, state, waiver_file)
    silent = unevaluated_rules(pack, rules_doc)
    if silent:
        raise PolicyError(silent)
    approvers, why = (
        load_approvers(source, policy_dir) if waiver_file is not None and waiver_file.entries else (frozenset(), "")
    )
    subjects = frozenset({f"environment/{n}" for n in state.effective} | {f"release/{n}" for n in state.release_docs})
    bounds = Bounds(day, max_days(pack.settings), approvers, why, subjects)
    active, waived, waiver_rules = apply_waivers(findings, waiver_file, pack.rules, day, bounds)
    return CheckResult(
        source=state.source,
        engine=engine,
        rules=tuple(sorted({**pack.rules, **waiver_rules}.values(), key=lambda r: r.id)),
        findings=sort_findings(active),
        waived=sort_findings(waived),
        fail_on_warn=fail_on_warn,
        modes={name: str((doc.data.get("spec") or {}).get("mode", "")) for name, doc in state.effective.items()},
    )


def from_root(result: CheckResult, source: Source) -> CheckResult:
    """`result` with every finding's file named from the git root (SARIF URIs, `::error
    file=` annotations and JUnit files then point at files that exist in the repository)."""

    def moved(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
        return tuple(replace(f, file=from_git_root(f.file, source)) if f.file else f for f in findings)

    return replace(result, findings=moved(result.findings), waived=moved(result.waived))
