"""`qm diff` and `qm check --base` through the real CLI edge: exit codes, formats, errors."""

from __future__ import annotations

import json
import subprocess
import sys

LIVE = "environments/live.yaml"


def raise_live_loss(repo) -> None:  # type: ignore[no-untyped-def]
    repo.branch("feature")
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: 2000")
    repo.commit("raise live daily loss")


def test_exit_0_with_or_without_changes_and_exit_code_like_git_diff(repo, qm):
    code, out, _ = qm("diff", str(repo.root), "--base", "main")
    assert code == 0 and "No changes to the desired state." in out
    assert qm("diff", str(repo.root), "--base", "main", "--exit-code")[0] == 0
    raise_live_loss(repo)
    code, out, _ = qm("diff", str(repo.root), "--base", "main")
    assert code == 0 and "max_daily_loss" in out and "1,500 → 2,000" in out and "+33.3%" in out
    assert qm("diff", str(repo.root), "--base", "main", "--exit-code")[0] == 1
    assert qm("diff", str(repo.root), "--base", "feature", "--head", "main", "--exit-code")[0] == 1
    assert qm("diff", str(repo.root), "--base", "feature", "--head", "feature", "--exit-code")[0] == 0


def test_text_output_lists_live_first_with_locations(repo, qm):
    raise_live_loss(repo)
    repo.edit("environments/paper.yaml", "max_daily_loss: 5000", "max_daily_loss: 4000")
    _, out, _ = qm("diff", str(repo.root), "--base", "main")
    assert out.index("environment live [live]") < out.index("environment paper [paper]")
    line = repo.line_of(LIVE, "max_daily_loss")
    assert f"{LIVE}:{line}" in out and "⚠ increases risk" in out
    assert "environments unchanged: local, backtest" in out


def test_json_output_is_the_change_document_without_base_specs(repo, qm):
    raise_live_loss(repo)
    code, out, _ = qm("diff", str(repo.root), "--base", "main", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["empty"] is False
    live = document["environments"]["live"]
    assert live["risk"]["max_daily_loss"]["old"] == 1500 and live["risk"]["max_daily_loss"]["new"] == 2000
    assert "base" not in live
    assert document["unchanged_environments"] == ["paper", "local", "backtest"]


def test_invalid_head_is_exit_2_with_file_and_line(repo, qm):
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: -1")
    code, out, err = qm("diff", str(repo.root), "--base", "main")
    assert code == 2 and out == ""
    assert f"{LIVE}:{repo.line_of(LIVE, 'max_daily_loss')}:" in err and "Traceback" not in err


def test_invalid_base_is_named_by_its_ref(repo, qm):
    repo.edit(LIVE, "max_daily_loss: 1500", "max_daily_loss: -1")
    repo.commit("broken on main")
    repo.branch("fix")
    repo.edit(LIVE, "max_daily_loss: -1", "max_daily_loss: 1500")
    code, _, err = qm("diff", str(repo.root), "--base", "main")
    assert code == 2 and f"main:{LIVE}:{repo.line_of(LIVE, 'max_daily_loss')}:" in err


def test_unknown_base_ref_is_exit_2(repo, qm):
    code, _, err = qm("diff", str(repo.root), "--base", "no-such-branch")
    assert code == 2 and "no-such-branch" in err and "Traceback" not in err


def test_markdown_with_a_broken_pack_says_so_and_fails_closed(repo, qm):
    raise_live_loss(repo)
    repo.write("policies/broken.rego", "package qm.rules.broken\n\ndeny contains f if {\n")
    code, out, err = qm("diff", str(repo.root), "--base", "main", "--format", "markdown")
    assert code == 2
    assert out.startswith("<!-- qm-pr-summary -->") and "The policy gate could not run: policies/broken.rego:" in out
    assert "policies/broken.rego:" in err


def test_check_with_base_enables_the_delta_rules(repo, qm):
    raise_live_loss(repo)
    code, out, _ = qm("check", str(repo.root), "--today", "2026-12-01")
    assert code == 0 and "QM-CHG" not in out  # without --base there is no change to judge
    code, out, _ = qm("check", str(repo.root), "--base", "main", "--today", "2026-12-01", "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["id"] == "QM-CHG-001" and finding["severity"] == "deny"
    assert (finding["file"], finding["line"]) == (LIVE, repo.line_of(LIVE, "max_daily_loss"))


def test_markdown_is_also_a_check_format(repo, qm):
    raise_live_loss(repo)
    code, out, _ = qm("check", str(repo.root), "--base", "main", "--today", "2026-12-01", "--format", "markdown")
    assert code == 1 and out.startswith("### Policy gate") and "| ❌ deny | `QM-CHG-001` |" in out


def test_commands_do_not_import_database_redis_or_http_clients(repo):
    raise_live_loss(repo)
    script = (
        "import sys\n"
        "from quantmatrix.cli import cli\n"
        "from quantmatrix.cli.edge import run\n"
        f"root = {str(repo.root)!r}\n"
        "run(cli, ['diff', root, '--base', 'main', '--format', 'markdown', '--today', '2026-12-01'])\n"
        "run(cli, ['release', 'new', '2026.12.0', root])\n"
        "run(cli, ['promote', '2026.12.0', root, '--to', 'paper', '--dry-run'])\n"
        "print(sorted(m for m in ('sqlalchemy', 'redis', 'httpx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_fleet_of_unchanged_environments_is_counted_per_mode_not_listed(repo, qm):
    text = repo.read("environments/backtest.yaml")
    for i in range(12):
        repo.write(
            f"environments/backtest-{i:02}.yaml", text.replace("name: backtest\n", f"name: backtest-{i:02}\n", 1)
        )
    repo.commit("a fleet of backtests")
    raise_live_loss(repo)
    _, out, _ = qm("diff", str(repo.root), "--base", "main")
    assert "environment live [live]" in out
    assert "15 environments unchanged (paper 1, local 1, backtest 13)" in out
    assert "backtest-07" not in out  # 15 names are not listed
    code, out, _ = qm("diff", str(repo.root), "--base", "main", "--format", "json")
    assert len(json.loads(out)["unchanged_environments"]) == 15  # the machine-readable form keeps every name
    # the PR summary counts them the same way (one helper); its pins table still names every one
    _, out, _ = qm("diff", str(repo.root), "--base", "main", "--format", "markdown", "--no-check")
    assert "\n15 environments unchanged (paper 1, local 1, backtest 13).\n" in out
    assert "Unchanged:" not in out and out.count("backtest-07") == 1


def test_a_few_unchanged_environments_are_named_in_both_formats(repo, qm):
    raise_live_loss(repo)
    _, out, _ = qm("diff", str(repo.root), "--base", "main")
    assert "environments unchanged: paper, local, backtest" in out
    _, out, _ = qm("diff", str(repo.root), "--base", "main", "--format", "markdown", "--no-check")
    assert "\nUnchanged: `paper`, `local`, `backtest`.\n" in out


def test_a_location_only_the_base_holds_is_named_by_the_base_ref(repo, qm):
    line = repo.line_of("environments/backtest.yaml", "release:")
    repo.branch("feature")
    (repo.root / "environments/backtest.yaml").unlink()
    repo.commit("drop backtest")
    _, out, _ = qm("diff", str(repo.root), "--base", "main")
    assert "environment backtest [backtest] removed" in out
    pin = next(row for row in out.splitlines() if row.split()[:2] == ["Release", "release"])
    assert pin.endswith(f"main:environments/backtest.yaml:{line}"), pin  # not a file of the work tree
