"""The built-in pack ships with the package; a repository's `policies/` adds to it, never
replaces it (quantmatrix/policy/builtin.py, pack.py).

Each test is a consuming repository: the sample `environments/` and `releases/`, and only
what the test puts into `policies/`. The built-in pack is the installed one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from quantmatrix.errors import PolicyError
from quantmatrix.policy.builtin import BUILTIN_DIR, PackageSource
from quantmatrix.policy.pack import load_pack
from quantmatrix.repo.source import DirectorySource

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"
Qm = Callable[..., tuple[int, str, str]]

# A rule of the repository's own, with its own METADATA and a setting of its own.
DESK_RULE = """package qm.rules.desk

import rego.v1

# METADATA
# title: Paper runs at most the desk's strategy count
# description: The desk caps how many strategies paper runs at once.
# custom:
#   id: ACME-DESK-001
#   severity: deny
#   guide: "Desk handbook §2"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	count(env.spec.strategies) > data.qm.settings.repository.max_paper_strategies
	f := {"id": "ACME-DESK-001", "msg": sprintf("environment '%s' runs %d strategies", [name, count(env.spec.strategies)]), "path": ["environments", name, "spec", "strategies"]}
}
"""

DESK_TEST = """package qm.rules.desk

import rego.v1

test_paper_over_the_cap_denied if {
	fs := deny with input as {"environments": {"paper": {"spec": {"mode": "paper", "strategies": [{}, {}]}}}}
		with data.qm.settings.repository.max_paper_strategies as 1
	count(fs) == 1
}
"""


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    """A consuming repository: desired state only, no policies/."""
    root = tmp_path / "consumer"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def write(root: Path, file: str, text: str) -> None:
    (root / file).parent.mkdir(parents=True, exist_ok=True)
    (root / file).write_text(text)


def check(qm: Qm, root: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = qm("check", root, "--today", TODAY, "--format", "json", *extra)
    return code, (json.loads(out) if out.strip() else {}), err


def ids(report: dict) -> set[str]:
    return {f["id"] for f in report.get("findings", [])}


# --- the built-in pack is the default -------------------------------------------------------


def test_the_installed_package_holds_the_whole_pack() -> None:
    source = PackageSource()
    rego = source.files(BUILTIN_DIR, (".rego",))
    assert f"{BUILTIN_DIR}/separation.rego" in rego and f"{BUILTIN_DIR}/separation_test.rego" in rego
    assert source.exists(f"{BUILTIN_DIR}/settings.yaml")
    assert not source.exists("quantmatrix/../pyproject.toml") and source.files("elsewhere") == []


def test_a_repository_without_policies_is_judged_by_the_whole_built_in_pack(qm: Qm, consumer: Path) -> None:
    code, report, err = check(qm, consumer)
    assert code == 0, err
    assert report["summary"]["rules"] >= 60
    write(
        consumer,
        "environments/paper.yaml",
        (consumer / "environments/paper.yaml")
        .read_text()
        .replace("routes_live_orders: false", "routes_live_orders: true"),
    )
    code, report, _ = check(qm, consumer)
    assert code == 1
    (sep,) = [f for f in report["findings"] if f["id"] == "QM-SEP-004"]
    assert sep["file"] == "environments/paper.yaml" and sep["line"] > 1


def test_a_built_in_finding_is_accepted_only_by_a_bounded_waiver(qm: Qm, consumer: Path) -> None:
    write(
        consumer,
        "environments/paper.yaml",
        (consumer / "environments/paper.yaml")
        .read_text()
        .replace("routes_live_orders: false", "routes_live_orders: true"),
    )
    waiver = "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n  - rule: QM-SEP-004\n    target: environment/paper\n    reason: drill, OPS-1\n    approver: sam.cto\n    expires: {}\n"
    write(consumer, "policies/waivers.yaml", waiver.format("2026-12-20"))
    code, report, _ = check(qm, consumer)
    assert code == 1 and "QM-WAIVER-005" in ids(report)  # no approvers list in the repository: nobody approves
    write(
        consumer,
        "policies/approvers.yaml",
        "apiVersion: quantmatrix.io/v1\nkind: Approvers\napprovers:\n  - name: sam.cto\n    role: CTO\n",
    )
    code, report, _ = check(qm, consumer)
    assert code == 0 and [f["id"] for f in report["waived"]] == ["QM-SEP-004"]
    write(consumer, "policies/waivers.yaml", waiver.format("2027-06-01"))  # past the 90 days
    code, report, _ = check(qm, consumer)
    assert code == 1 and {"QM-WAIVER-004", "QM-SEP-004"} <= ids(report)


# --- a repository adds rules ------------------------------------------------------------------


def test_a_repository_rule_fires_with_its_own_metadata(qm: Qm, consumer: Path) -> None:
    write(consumer, "policies/desk.rego", DESK_RULE)
    write(consumer, "policies/settings.yaml", "repository:\n  max_paper_strategies: 1\n")
    code, report, err = check(qm, consumer)
    assert code == 1, err
    (desk,) = [f for f in report["findings"] if f["id"] == "ACME-DESK-001"]
    assert desk["title"] == "Paper runs at most the desk's strategy count" and desk["guide"] == "Desk handbook §2"
    assert desk["file"] == "environments/paper.yaml"
    write(consumer, "policies/settings.yaml", "repository:\n  max_paper_strategies: 10\n")
    code, report, _ = check(qm, consumer)
    assert code == 0 and "ACME-DESK-001" not in ids(report)


@pytest.mark.parametrize(
    "rule_id, message",
    [
        ("QM-SEP-004", "QM-SEP-004 is a rule of the built-in pack (quantmatrix/policies/separation.rego:"),
        ("QM-NEW-001", "QM-NEW-001: ids starting QM- are reserved for the built-in pack"),
    ],
)
def test_a_rule_id_of_the_built_in_namespace_is_refused(qm: Qm, consumer: Path, rule_id: str, message: str) -> None:
    write(consumer, "policies/desk.rego", DESK_RULE.replace("ACME-DESK-001", rule_id))
    write(consumer, "policies/settings.yaml", "repository:\n  max_paper_strategies: 1\n")
    code, out, err = qm("check", consumer, "--today", TODAY)
    assert code == 2 and f"policies/desk.rego:5:1: METADATA: {message}" in err, err


HELPER_OVERRIDES = {
    # extends a built-in helper (Rego merges the clauses): any value would count as a secret reference
    "extends a helper": "package qm.lib\n\nimport rego.v1\n\nis_secret_ref(v) if true\n",
    "disguised package": 'package qm["lib"]\n\nimport rego.v1\n\nmissing := "x"\n',
    "adds to a built-in area": "package qm.rules.separation\n\nimport rego.v1\n\nallowed_host(_) if true\n",
    "inside a built-in package": "package qm.lib.more\n\nimport rego.v1\n\nx := 1\n",
    "replaces the settings": "package qm\n\nimport rego.v1\n\nsettings := {}\n",
    "under the settings": "package qm.settings.waivers\n\nimport rego.v1\n\nmax_days := 3650\n",
    "the test fixtures": "package qm.fixtures\n\nimport rego.v1\n\nsettings := {}\n",
    "a sub-area": "package qm.rules.live.extra\n\nimport rego.v1\n\nx := 1\n",
}


@pytest.mark.parametrize("text", HELPER_OVERRIDES.values(), ids=HELPER_OVERRIDES.keys())
def test_a_module_in_a_built_in_package_fails_closed(qm: Qm, consumer: Path, text: str) -> None:
    write(consumer, "policies/zz_override.rego", "# looks harmless\n" + text)
    code, out, err = qm("check", consumer, "--today", TODAY)
    assert (
        code == 2
        and "policies/zz_override.rego:2:1: package: package " in err
        and "is reserved for the built-in pack" in err
    ), err
    code, out, err = qm("policy", "test", consumer)  # the tests too: a test module could extend a helper as well
    assert code == 2 and "is reserved for the built-in pack" in err


def test_helpers_in_a_package_of_the_repository_are_fine(qm: Qm, consumer: Path) -> None:
    write(consumer, "policies/helpers.rego", "package acme.lib\n\nimport rego.v1\n\ncap := 1\n")
    write(
        consumer,
        "policies/desk.rego",
        DESK_RULE.replace("data.qm.settings.repository.max_paper_strategies", "data.acme.lib.cap"),
    )
    code, report, err = check(qm, consumer)
    assert code == 1 and "ACME-DESK-001" in ids(report), err


def test_a_repository_module_that_does_not_parse_fails_closed(qm: Qm, consumer: Path) -> None:
    write(consumer, "policies/desk.rego", "package qm.rules.desk\n\nx := {\n")
    code, _, err = qm("check", consumer, "--today", TODAY)
    assert code == 2 and err.startswith("policies/desk.rego:") and "backtrace" not in err.lower()


# --- qm policy test covers both --------------------------------------------------------------


def test_policy_test_runs_and_reports_both_packs(qm: Qm, consumer: Path) -> None:
    write(consumer, "policies/desk.rego", DESK_RULE)
    write(consumer, "policies/desk_test.rego", DESK_TEST)
    code, out, err = qm("policy", "test", consumer, "--coverage")
    assert code == 0, out + err
    lines = out.splitlines()
    builtin_line = next(line for line in lines if line.startswith("built-in pack: "))
    builtin_count = int(builtin_line.split()[2])
    assert builtin_count > 100 and builtin_line.endswith(f"{builtin_count} passed, 0 failed")
    assert "repository pack (policies/): 1 tests: 1 passed, 0 failed" in lines
    assert f"{builtin_count + 1} tests: {builtin_count + 1} passed, 0 failed" in lines
    assert "PASS data.qm.rules.desk.test_paper_over_the_cap_denied" in lines
    coverage = lines[lines.index("coverage:") :]
    assert " built-in pack:" in coverage and " repository pack (policies/):" in coverage
    assert any(line.startswith("  quantmatrix/policies/separation.rego  ") for line in coverage)
    (desk,) = [line for line in coverage if line.startswith("  policies/desk.rego  ")]
    assert "not reached" not in desk


def test_a_failing_repository_test_fails_the_run_and_is_counted_on_its_side(qm: Qm, consumer: Path) -> None:
    write(consumer, "policies/desk.rego", DESK_RULE)
    write(consumer, "policies/desk_test.rego", DESK_TEST.replace("count(fs) == 1", "count(fs) == 2"))
    code, out, _ = qm("policy", "test", consumer)
    assert code == 1
    assert "repository pack (policies/): 1 tests: 0 passed, 1 failed" in out
    assert "FAIL data.qm.rules.desk.test_paper_over_the_cap_denied (policies/desk_test.rego:5): " in out


def test_the_pack_knows_which_modules_are_built_in(consumer: Path) -> None:
    write(consumer, "policies/desk.rego", DESK_RULE)
    pack = load_pack(DirectorySource(consumer))
    assert "policies/desk.rego" not in pack.builtin_files and f"{BUILTIN_DIR}/lib.rego" in pack.builtin_files
    assert pack.rules["ACME-DESK-001"].file == "policies/desk.rego" and pack.rules["QM-SEP-004"].file.startswith(
        BUILTIN_DIR
    )


def test_a_missing_built_in_pack_fails_closed(consumer: Path, tmp_path: Path) -> None:
    """A broken install (package data left out) must not judge with the repository's rules alone."""
    (tmp_path / "empty" / "quantmatrix" / "policies").mkdir(parents=True)
    with pytest.raises(PolicyError) as caught:
        load_pack(DirectorySource(consumer), builtin=DirectorySource(tmp_path / "empty"))
    assert "the built-in policy pack is missing" in str(caught.value.problems[0])
