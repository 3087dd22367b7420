"""The PR review sees everything that changed: the secret catalog, the policy pack rule by
rule, and a change judged with the base branch's pack as well as its own.

Real git repositories (tests/diff/gitrepo.py) laid out as this tool's own repository: the
built-in pack at quantmatrix/policies/, the repository's waivers, approvers and settings at
policies/. The built-in pack that judges the head is that repository's (as CI installs the
pull request's own qm); every command runs through the real CLI edge.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402

CATALOG = "environments/secrets.yaml"
PAPER = "environments/paper.yaml"
SEPARATION = "quantmatrix/policies/separation.rego"
LIVE = "quantmatrix/policies/live.rego"
TODAY = "2026-12-01"
FORMATS = ("text", "markdown", "json")

QmRun = Callable[..., Any]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sample state with the real pack, committed on `main`; a `feature` branch checked
    out, whose built-in pack is the one installed (the pull request's own)."""
    from quantmatrix.policy import builtin
    from quantmatrix.repo.source import DirectorySource

    made = gitrepo.make_repo(tmp_path / "repo", pack="tool")
    made.branch("feature")
    monkeypatch.setattr(builtin, "installed", lambda: DirectorySource(made.root))
    return made


def _diff(run_qm: QmRun, repo: Any, fmt: str) -> Any:
    return run_qm("diff", "--base", "main", "--format", fmt, "--today", TODAY, repo.root)


def _check(run_qm: QmRun, repo: Any, *extra: str) -> Any:
    return run_qm("check", repo.root, "--base", "main", "--today", TODAY, "--format", "json", *extra)


def _findings(result: Any) -> list[dict[str, Any]]:
    return list(json.loads(result.out)["findings"])


# --- the secret catalog is part of the desired state ----------------------------------------


def _scope_to_live(repo: Any) -> None:
    repo.edit(CATALOG, "    QM_PAPER_REDIS_URL:\n      scope: paper", "    QM_PAPER_REDIS_URL:\n      scope: live")
    repo.commit("paper redis url becomes live")


@pytest.mark.parametrize("fmt", FORMATS)
def test_catalog_scope_change_is_in_every_diff_format(run_qm: QmRun, repo: Any, fmt: str) -> None:
    _scope_to_live(repo)
    result = _diff(run_qm, repo, fmt)
    assert "No changes to the desired state" not in result.out
    assert "QM_PAPER_REDIS_URL" in result.out
    if fmt == "json":
        entry = json.loads(result.out)["secrets"]["QM_PAPER_REDIS_URL"]
        assert entry["scope"] == {"old": "paper", "new": "live"} and entry["toward_live"] is True
        assert json.loads(result.out)["empty"] is False
    else:
        assert "paper" in result.out and "live" in result.out


def test_catalog_scope_toward_live_is_denied_at_the_scope_line(run_qm: QmRun, repo: Any) -> None:
    _scope_to_live(repo)
    result = _check(run_qm, repo)
    assert result.code == 1
    chg = [f for f in _findings(result) if f["id"] == "QM-CHG-012"]
    assert len(chg) == 1 and chg[0]["file"] == CATALOG
    assert chg[0]["line"] == repo.line_of(CATALOG, "QM_PAPER_REDIS_URL:") + 1  # its `scope:` line
    assert chg[0]["path"] == ["secrets", "QM_PAPER_REDIS_URL", "scope"]


@pytest.mark.parametrize("old, new", [("live", "local"), ("live", "paper")])
def test_catalog_scope_away_from_live_is_denied(run_qm: QmRun, repo: Any, old: str, new: str) -> None:
    repo.edit(CATALOG, "    QM_LIVE_REDIS_URL:\n      scope: live", f"    QM_LIVE_REDIS_URL:\n      scope: {new}")
    repo.commit("move")
    assert "QM-CHG-012" in {f["id"] for f in _findings(_check(run_qm, repo))}


def test_catalog_scope_between_non_live_scopes_is_not_a_chg012(run_qm: QmRun, repo: Any) -> None:
    repo.edit(CATALOG, "    QM_LOCAL_REDIS_URL:\n      scope: local", "    QM_LOCAL_REDIS_URL:\n      scope: backtest")
    repo.commit("move")
    assert "QM-CHG-012" not in {f["id"] for f in _findings(_check(run_qm, repo))}


def test_catalog_provider_change_is_shown_and_flagged(run_qm: QmRun, repo: Any) -> None:
    repo.edit(CATALOG, "provider: {env: QM_PAPER_REDIS_URL}", "provider: {env: QM_LIVE_REDIS_URL_COPY}")
    repo.commit("provider")
    assert "QM_LIVE_REDIS_URL_COPY" in _diff(run_qm, repo, "text").out
    warned = [f for f in _findings(_check(run_qm, repo)) if f["id"] == "QM-CHG-013"]
    assert warned and warned[0]["file"] == CATALOG


def test_catalog_added_and_removed_entries_are_listed(run_qm: QmRun, repo: Any) -> None:
    text = repo.read(CATALOG).replace(
        "    QM_LOCAL_REDIS_URL:\n",
        "    QM_EXTRA_TOKEN_NAME:\n      scope: local\n      description: An extra one.\n      provider: {env: QM_EXTRA_TOKEN_NAME}\n    QM_LOCAL_REDIS_URL:\n",
    )
    repo.write(CATALOG, text)
    repo.commit("add")
    out = _diff(run_qm, repo, "markdown").out
    assert "### Secret catalog" in out and "QM_EXTRA_TOKEN_NAME" in out and "added" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_secret_pasted_into_a_catalog_description_is_never_printed(run_qm: QmRun, repo: Any, fmt: str) -> None:
    pasted = "postgres://trader:Sup3rS3cretPassw0rd@db.internal/qm"
    repo.edit(CATALOG, "description: Redis URL (with password) of the paper control plane.", f"description: {pasted}")
    repo.commit("oops")
    result = _diff(run_qm, repo, fmt)
    assert "QM_PAPER_REDIS_URL" in result.out
    assert "Sup3rS3cretPassw0rd" not in result.output


# --- policy changes are visible ------------------------------------------------------------

WEAKENED = (
    '	env.spec.mode != "live"\n	env.spec.execution.routes_live_orders == true',
    '	env.spec.mode == "backtest"\n	env.spec.execution.routes_live_orders == true',
)


def _sep004_block(text: str) -> str:
    start = text.index("# METADATA\n# title: Only live may route live orders")
    end = text.index("# METADATA", start + 10)
    return text[start:end]


def _route_live_from_paper(repo: Any) -> None:
    repo.edit(PAPER, "    routes_live_orders: false\n", "    routes_live_orders: true\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_lists_changed_policy_files_and_rules_by_id(run_qm: QmRun, repo: Any, fmt: str) -> None:
    repo.edit(SEPARATION, *WEAKENED)  # QM-SEP-004 changed
    text = repo.read(LIVE)
    block = text[text.index("# METADATA\n# title: Live is watched") :]
    repo.write(LIVE, text.replace(block, ""))  # QM-LIVE-011 removed
    repo.write(
        "policies/extra.rego",
        "package qm.rules.extra\n\nimport rego.v1\n\n# METADATA\n# title: Extra\n# custom:\n#   id: ACME-EXT-001\n#   severity: warn\n#   guide: x\nwarn contains f if {\n\tfalse\n\tf := {}\n}\n",
    )
    repo.edit("quantmatrix/policies/settings.yaml", "min_observation_days: 14", "min_observation_days: 1")
    repo.edit("policies/settings.yaml", "max_days: 90", "max_days: 30")
    repo.commit("policy edits")
    result = _diff(run_qm, repo, fmt)
    files = {
        SEPARATION: "changed",
        LIVE: "changed",
        "policies/extra.rego": "added",
        "quantmatrix/policies/settings.yaml": "changed",
        "policies/settings.yaml": "changed",
    }
    if fmt != "json":
        for name in (*files, "QM-SEP-004", "QM-LIVE-011", "ACME-EXT-001"):
            assert name in result.out, name
        return
    policies = json.loads(result.out)["policies"]
    assert {f["name"]: f["status"] for f in policies["files"]} == files
    assert {r["name"]: r["status"] for r in policies["rules"]} == {
        "QM-SEP-004": "changed",
        "QM-LIVE-011": "removed",
        "ACME-EXT-001": "added",
    }


def test_a_test_only_policy_change_lists_the_file_and_no_rule(run_qm: QmRun, repo: Any) -> None:
    test_file = "quantmatrix/policies/separation_test.rego"
    repo.write(test_file, repo.read(test_file) + "\n# note\n")
    repo.commit("tests")
    policies = json.loads(_diff(run_qm, repo, "json").out)["policies"]
    assert [f["name"] for f in policies["files"]] == [test_file] and policies["rules"] == []


def test_no_policy_change_no_policy_section(run_qm: QmRun, repo: Any) -> None:
    _scope_to_live(repo)
    out = _diff(run_qm, repo, "markdown").out
    assert "Policy pack changes" not in out


# --- and judged with the base pack ---------------------------------------------------------


@pytest.mark.parametrize("how", ["weakened", "deleted"])
def test_a_pr_that_weakens_a_rule_fails_only_under_the_base_pack(run_qm: QmRun, repo: Any, how: str) -> None:
    text = repo.read(SEPARATION)
    repo.write(SEPARATION, text.replace(*WEAKENED) if how == "weakened" else text.replace(_sep004_block(text), ""))
    _route_live_from_paper(repo)
    repo.commit(f"{how} QM-SEP-004 and route live orders from paper")

    own = _check(run_qm, repo)
    assert own.code == 0, _findings(own)  # its own pack lets it through
    assert "QM-SEP-004" not in {f["id"] for f in _findings(own)}

    judged = _check(run_qm, repo, "--base-pack")
    assert judged.code == 1
    sep = [f for f in _findings(judged) if f["id"] == "QM-SEP-004"]
    assert len(sep) == 1 and sep[0]["file"] == PAPER
    assert sep[0]["message"].endswith("[base pack only: main]")


def test_the_same_violation_under_both_packs_is_reported_once_unlabelled(run_qm: QmRun, repo: Any) -> None:
    _route_live_from_paper(repo)
    repo.commit("route live orders from paper")
    sep = [f for f in _findings(_check(run_qm, repo, "--base-pack")) if f["id"] == "QM-SEP-004"]
    assert len(sep) == 1 and "base pack only" not in sep[0]["message"]


def test_a_waiver_added_by_the_pr_does_not_pass_the_base_pack(run_qm: QmRun, repo: Any) -> None:
    _route_live_from_paper(repo)
    repo.write(
        "policies/waivers.yaml",
        repo.read("policies/waivers.yaml").replace(
            "waivers: []",
            "waivers:\n  - rule: QM-SEP-004\n    target: environment/paper\n    reason: test, RISK-1\n    approver: sam.cto\n    expires: 2026-12-20\n",
        ),
    )
    repo.commit("route live orders from paper, waived")
    own = _check(run_qm, repo)
    assert "QM-SEP-004" in {f["id"] for f in json.loads(own.out)["waived"]}
    judged = _check(run_qm, repo, "--base-pack")
    assert judged.code == 1 and "QM-SEP-004" in {f["id"] for f in _findings(judged)}


def test_the_pr_summary_gate_uses_the_base_pack(run_qm: QmRun, repo: Any) -> None:
    repo.edit(SEPARATION, *WEAKENED)
    _route_live_from_paper(repo)
    repo.commit("weakened")
    out = _diff(run_qm, repo, "markdown").out
    assert "QM-SEP-004" in out and "base pack only: main" in out and "failed" in out


def test_base_pack_needs_base(run_qm: QmRun, repo: Any) -> None:
    result = run_qm("check", repo.root, "--base-pack")
    assert result.code == 2 and "--base-pack needs --base" in result.err


def test_a_base_without_policies_is_judged_by_the_built_in_pack(run_qm: QmRun, tmp_path: Path) -> None:
    """A consuming repository: no policies/ on the base, no built-in copy in the tree. The base
    judgement is the installed built-in pack's, so a violation is found by both, once."""
    made = gitrepo.make_repo(tmp_path / "bare", pack="none")
    made.branch("feature")
    import shutil

    shutil.copytree(gitrepo.ROOT / "policies", made.root / "policies")
    _route_live_from_paper(made)
    made.commit("add the repository's policies; route live orders from paper")
    result = run_qm("check", made.root, "--base", "main", "--base-pack", "--today", TODAY, "--format", "json")
    assert result.code == 1, result.err
    sep = [f for f in _findings(result) if f["id"] == "QM-SEP-004"]
    assert len(sep) == 1 and "base pack only" not in sep[0]["message"]


def test_a_base_whose_pack_does_not_load_fails_closed(run_qm: QmRun, repo: Any) -> None:
    repo.checkout("main")
    repo.write("policies/broken.rego", "package acme.broken\n\nx := {\n")
    repo.commit("broken pack on main")
    repo.checkout("feature")
    repo.git("merge", "-q", "main")
    repo.git("rm", "-q", "policies/broken.rego")
    repo.commit("repair")
    result = run_qm("check", repo.root, "--base", "main", "--base-pack", "--today", TODAY)
    assert result.code == 2 and "policies/broken.rego:" in result.err
