"""Judging a change with the base branch's policy pack as well as its own.

CI installs and runs the pull request's own `policies/`, so a PR that deletes or weakens a
rule would pass its own gate. With `--base-pack`, the head's desired state (and the change)
is judged twice — by the head's pack and by the base ref's pack, each with its own settings
and waivers — and the findings are united: a change that only passes under its own pack
fails. A finding only the base pack reports says so in its message (`[base pack only: REF]`),
so every report format shows which pack found it.
"""

from __future__ import annotations

from dataclasses import replace

from quantmatrix.policy.findings import CheckResult, Finding
from quantmatrix.policy.gate import sort_findings


def _key(finding: Finding) -> tuple[str, str, tuple[str | int, ...]]:
    return (finding.rule.id, finding.message, finding.path)


def _labelled(finding: Finding, label: str) -> Finding:
    return replace(finding, message=f"{finding.message} [base pack only: {label}]")


def union_results(head: CheckResult, base: CheckResult, base_label: str) -> CheckResult:
    """`head`'s findings plus those only `base`'s pack reports, labelled with `base_label`.

    A finding the head pack waived but the base pack reports unwaived stays active: the
    base's waivers decide under the base's pack."""
    seen = {_key(f) for f in (*head.findings, *head.waived)}
    extra = [_labelled(f, base_label) for f in base.findings if _key(f) not in seen]
    waived_keys = {_key(f) for f in head.waived}
    unwaived_by_base = [_labelled(f, base_label) for f in base.findings if _key(f) in waived_keys]
    waived = [f for f in head.waived if _key(f) not in {_key(u) for u in base.findings}]
    rules = {r.id: r for r in (*base.rules, *head.rules)}
    return replace(
        head,
        rules=tuple(sorted(rules.values(), key=lambda r: r.id)),
        findings=sort_findings([*head.findings, *extra, *unwaived_by_base]),
        waived=sort_findings(waived),
    )
