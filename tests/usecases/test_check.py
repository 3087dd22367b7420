"""The check use case: what `qm check` runs, callable without the CLI, with and without a base."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.usecases.check import check

LIVE = "environments/live.yaml"
TODAY = dt.date(2026, 12, 1)


def test_check_with_a_broken_base_names_its_problems_by_the_ref(repo, qm):
    # the bug of issue 8: `qm check --base main` pointed a broken base's problem into the work tree
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: -1")
    repo.commit("broken on main")
    repo.branch("fix")
    repo.edit(LIVE, "max_daily_loss: -1", "max_daily_loss: 1500")
    where = f"main:{LIVE}:{repo.line_of(LIVE, 'max_daily_loss')}:"
    with pytest.raises(ConfigError) as raised:
        check(repo.root, base_ref="main", today=TODAY)
    assert [p.file for p in raised.value.problems] == [f"main:{LIVE}"]
    code, _, err = qm("check", str(repo.root), "--base", "main", "--today", "2026-12-01")
    assert code == 2 and err.startswith(where)
    code, _, diff_err = qm("diff", str(repo.root), "--base", "main")
    assert code == 2 and diff_err.splitlines()[0] == err.splitlines()[0]  # check and diff say the same


def test_the_use_case_gives_the_cli_its_result(repo, qm):
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: 3000")
    result = check(repo.root, base_ref="main", today=TODAY)
    code, out, _ = qm("check", str(repo.root), "--base", "main", "--today", "2026-12-01", "--format", "json")
    assert code == 1 and not result.passed
    assert [f["id"] for f in json.loads(out)["findings"]] == [f.rule.id for f in result.findings]
    assert "QM-CHG-001" in [f.rule.id for f in result.findings]
    assert check(repo.root, today=TODAY).passed  # without a base there is no change to judge


def test_base_pack_needs_a_base(repo):
    with pytest.raises(ValueError):
        check(repo.root, base_pack=True)
