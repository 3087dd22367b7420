"""`run_check`: one evaluation of the pack, findings joined with METADATA and located at the
YAML line that wrote the offending value (including values inherited from `_base.yaml`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantmatrix.errors import PolicyError
from quantmatrix.policy import engines
from quantmatrix.policy.gate import run_check
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source


def check(root: Path, **options):
    source = open_source(root)
    return run_check(load_source(source), source=source, today="2026-12-01", **options)


def test_findings_point_at_the_line_that_wrote_the_value(repo: Path, line_of):
    result = check(repo)
    deny = {(f.rule.id, f.target): f for f in result.denials}
    live = deny[("QM-FIX-001", "environment/live")]
    assert (live.file, live.line, live.col) == (
        "environments/live.yaml",
        line_of(repo / "environments/live.yaml", "max_daily_loss:"),
        5,
    )
    assert live.message == "live: max_daily_loss 1500 is above the ceiling 1000"
    assert (live.rule.title, live.rule.guide, live.severity) == ("Live daily loss under the ceiling", "§9 live", "deny")
    assert live.path == ("environments", "live", "spec", "risk", "max_daily_loss")


def test_a_value_inherited_from_the_base_points_at_the_base_file(repo: Path, line_of):
    result = check(repo)
    local = next(f for f in result.warnings if f.target == "environment/local")
    base = repo / "environments/_base.yaml"
    assert (local.file, local.line, local.col) == (
        "environments/_base.yaml",
        line_of(base, "enabled:", line_of(base, "emergency_halt:")),
        7,
    )
    # live sets its own emergency halt, verified: no finding for it
    assert "environment/live" not in {f.target for f in result.warnings}


def test_findings_are_sorted_deny_first_then_file_line_id(repo: Path):
    result = check(repo, change={"risk_raised": ["paper", "live"]})
    keys = [(f.severity != "deny", f.file, f.line, f.rule.id) for f in result.findings]
    assert keys == sorted(keys)
    assert [f.severity for f in result.findings][:3] == ["deny"] * 3


def test_the_change_and_today_reach_the_rules(repo: Path):
    assert not [f for f in check(repo).findings if f.rule.id == "QM-FIX-003"]
    (raised,) = [f for f in check(repo, change={"risk_raised": ["paper"]}).findings if f.rule.id == "QM-FIX-003"]
    assert raised.message == "paper: risk raised on 2026-12-01"
    assert raised.file == "environments/paper.yaml"


def test_the_input_is_built_once_and_all_rules_answer_one_query(repo: Path, monkeypatch: pytest.MonkeyPatch):
    calls = []

    class Recording:  # an engine plugged into the registry: one module, one dict entry
        @staticmethod
        def evaluate(pack, input_json, *, url=None):
            calls.append(json.loads(input_json))
            return engines.embedded.evaluate(pack, input_json, url=url)

    monkeypatch.setitem(engines.ENGINES, "recording", Recording)
    result = check(repo, engine="recording")
    assert result.engine == "recording" and result.denials
    (document,) = calls
    assert document["context"] == {"today": "2026-12-01"}
    assert set(document["environments"]) == {"local", "paper", "live", "backtest"}
    assert {"declared", "releases", "secrets", "bases"} <= set(document)


def test_an_unknown_engine_is_refused(repo: Path):
    with pytest.raises(PolicyError, match="unknown policy engine 'wasm'"):
        check(repo, engine="wasm")


def test_every_rule_of_the_pack_is_listed_for_sarif(repo: Path):
    ids = [r.id for r in check(repo).rules]
    assert ids == sorted(ids)
    waiver_rules = {f"QM-WAIVER-00{n}" for n in range(1, 7)}
    assert {"QM-FIX-001", "QM-FIX-002", "QM-FIX-003", *waiver_rules} == set(ids)


def _write(repo: Path, name: str, text: str) -> None:
    (repo / "policies" / name).write_text(text)


META = "# METADATA\n# title: T\n# custom:\n#   id: {id}\n#   severity: {severity}\n#   guide: x\n"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('deny contains {"id": "QM-NOPE-001", "msg": "m", "path": []}', "rule QM-NOPE-001 has no METADATA block"),
        (
            META.format(id="QM-W-001", severity="warn") + 'deny contains {"id": "QM-W-001", "msg": "m", "path": []}',
            "QM-W-001 is declared warn but reported in deny",
        ),
        ('deny contains "just a string"', "a finding must be an object with id, msg and path"),
        ("deny if { true }", "data.qm.rules.odd.deny must be a set of findings"),
        (
            META.format(id="QM-P-001", severity="deny")
            + 'deny contains {"id": "QM-P-001", "msg": "m", "path": "environments.live"}',
            "a finding needs msg (string) and path",
        ),
    ],
)
def test_a_finding_the_pack_cannot_explain_fails_closed(repo: Path, rule: str, message: str):
    _write(repo, "odd.rego", f"package qm.rules.odd\n\nimport rego.v1\n\n{rule}\n")
    with pytest.raises(PolicyError) as caught:
        check(repo)
    assert message in str(caught.value)


def test_a_broken_policy_file_is_reported_at_its_line_and_column(repo: Path):
    _write(repo, "broken.rego", "package qm.rules.broken\n\nimport rego.v1\n\ndeny contains f if { 1 = }\n")
    with pytest.raises(PolicyError) as caught:
        check(repo)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.col) == ("policies/broken.rego", 5, 24)
    assert "Stack backtrace" not in problem.message and "\n" not in problem.message


def test_an_evaluation_error_is_reported_at_its_location(repo: Path):
    _write(
        repo,
        "crash.rego",
        'package qm.rules.crash\n\nimport rego.v1\n\ndeny contains f if {\n\tx := 1 / 0\n\tf := {"id": "QM-X", "msg": "", "path": [x]}\n}\n',
    )
    with pytest.raises(PolicyError) as caught:
        check(repo)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("policies/crash.rego", 6)
    assert problem.message == "divide by zero"


def test_test_files_are_not_part_of_the_gate(repo: Path):
    _write(repo, "zzz_test.rego", "package qm.rules.zzz\n\ndeny contains 1 if { true }\n")
    assert {f.rule.id for f in check(repo).findings} == {"QM-FIX-001", "QM-FIX-002"}


def test_a_pack_without_policies_fails_closed(repo: Path):
    for rego in (repo / "policies").glob("*.rego"):
        rego.unlink()
    with pytest.raises(PolicyError, match="no policy files"):
        check(repo)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        # a typo in the package: the rule would never be part of data.qm.rules
        (
            "package qm.rule.limits2\n\nimport rego.v1\n\n"
            + META.format(id="QM-T-001", severity="deny")
            + 'deny contains {"id": "QM-T-001", "msg": "m", "path": []} if { false }\n',
            "rule is in package 'qm.rule.limits2'; rules live in package qm.rules.<area>",
        ),
        # declared warn, but the package has no `warn` set at all: the rule was never written as one
        (
            "package qm.rules.quiet\n\nimport rego.v1\n\n"
            + META.format(id="QM-T-002", severity="warn")
            + 'deny contains {"id": "QM-T-002", "msg": "m", "path": []} if { false }\n',
            "the engine returned no 'warn' set for package qm.rules.quiet",
        ),
    ],
)
def test_a_rule_the_engine_never_evaluated_fails_closed_instead_of_passing(repo: Path, module: str, message: str):
    _write(repo, "silent.rego", module)
    with pytest.raises(PolicyError) as caught:
        check(repo)
    (problem,) = caught.value.problems
    assert problem.file == "policies/silent.rego" and problem.line == 5
    assert message in problem.message
