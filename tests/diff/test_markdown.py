"""The PR summary (`qm diff --format markdown`): a snapshot of a realistic multi-environment
change, plus the properties the snapshot alone would not pin down.

Regenerate the snapshot after an intended change of the layout:
    QM_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/diff/test_markdown.py
and review the diff of tests/diff/snapshots/pr-summary.md like any other change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from quantmatrix.usecases.promote import promote
from quantmatrix.usecases.release import new_release

SNAPSHOT = Path(__file__).parent / "snapshots" / "pr-summary.md"
LIVE = "environments/live.yaml"


def realistic_change(repo) -> None:  # type: ignore[no-untyped-def]
    """Propose 2026.12.0 (migration, new api/workers), run it in paper and local, and raise
    live's exposure a little — in one pull request, the way people do."""
    repo.branch("feature")
    new_release(repo.root, "2026.12.0")
    release = "releases/2026.12.0.yaml"
    repo.edit(release, "api: 3.3.1", "api: 3.4.0")
    repo.edit(release, "workers: 3.3.2", "workers: 3.4.0")
    repo.edit(
        release,
        "revision: 0002_fills_exec_time_idx",
        "revision: 0003_orders_client_id\n    backward_compatible: true\n    reversible: true",
    )
    repo.edit(release, "migrations: []", "migrations: [0003_orders_client_id adds orders.client_id (nullable)]")
    repo.edit(release, "config: []", "config: [Paper max daily loss 5000 → 6000]")
    repo.edit(
        release,
        "checklist: {}",
        "checklist:\n    release_change_checklist: {by: li.eng, at: 2026-11-28, reference: RCC-2026.12.0}\n    migrations_reviewed: {by: ana.dba, at: 2026-11-27, reference: DB-333}\n    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-28}",
    )
    repo.edit(
        release,
        "kind: Release\nmetadata:\n  name: 2026.12.0\n",
        "kind: Release\nmetadata:\n  name: 2026.12.0\n  description: Orders client id, api/workers 3.4.\n",
    )
    promote(repo.root, "2026.12.0", "paper")
    promote(repo.root, "2026.12.0", "local")
    repo.edit("environments/paper.yaml", "max_daily_loss: 5000", "max_daily_loss: 6000")
    repo.edit("environments/local.yaml", "interval_seconds: 15", "interval_seconds: 10")
    repo.edit(LIVE, "max_order_notional: 5000", "max_order_notional: 6000")
    repo.edit(LIVE, "limit: 50000", "limit: 60000")
    repo.edit(
        LIVE,
        "observed_since: 2026-11-12",
        "observed_since: 2026-11-12\n    last_increase: {at: 2026-11-30, previous_limit: 50000}",
    )
    repo.edit(LIVE, "[GME, AMC, BBBYQ, MULN, FFIE]", "[GME, AMC, BBBYQ, MULN, NKLA]")
    repo.edit(LIVE, "breakout_threshold: 0.02", "breakout_threshold: 0.025")
    repo.commit("Propose 2026.12.0; paper and local run it; live limits up")


def normalise(markdown: str) -> str:
    return re.sub(r"@[0-9a-f]{12}", "@<commit>", markdown)


def test_pr_summary_snapshot(repo, qm):
    realistic_change(repo)
    code, out, err = qm(
        "diff", str(repo.root), "--base", "main", "--head", "feature", "--format", "markdown", "--today", "2026-12-01"
    )
    assert code == 0, err
    actual = normalise(out)
    if os.environ.get("QM_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(actual, encoding="utf-8")
    assert actual == SNAPSHOT.read_text(encoding="utf-8")


def test_pr_summary_is_grouped_live_first_with_risk_highlighted_and_the_gate(repo, qm):
    realistic_change(repo)
    _, out, _ = qm(
        "diff", str(repo.root), "--base", "main", "--head", "feature", "--format", "markdown", "--today", "2026-12-01"
    )
    assert out.startswith("<!-- qm-pr-summary -->\n")
    assert out.count("<!-- qm-pr-summary -->") == 1
    headings = [line for line in out.splitlines() if line.startswith("### ")]
    assert headings[:4] == [
        "### Release pins and component versions",
        "### 🔴 live · live · changed · ⚠️ 3 risk-increasing changes",
        "### 🟡 paper · paper · changed · ⚠️ 1 risk-increasing change",
        "### local · local · changed",
    ]
    assert "| Risk limits | `max_order_notional` | `5,000` | **`6,000`** | ⚠️ **+20.0%** |" in out
    assert "| **paper** | paper | `2026.11.1` → **`2026.12.0`** | `3.3.1` → **`3.4.0`** |" in out
    # the gate ran with the change: delta rules report at the edited lines
    line = repo.line_of(LIVE, "max_order_notional")
    assert f"`QM-CHG-001` | environment/live | `{LIVE}:{line}:5`" in out
    assert "❌ **failed**" in out


def test_values_cannot_inject_markup_or_leak_secret_looking_strings(repo, qm):
    repo.branch("feature")
    repo.edit(LIVE, "banner: LIVE TRADING · REAL CAPITAL", "banner: 'LIVE | <img src=x> <!-- qm-pr-summary -->'")
    token = "sk_live_4eC39HqLyjWDarjtT1zdp7dcAbCdEfGh"
    repo.edit(LIVE, "zscore_entry: 2.5", f"zscore_entry: 2.5, feed_token: {token}")
    repo.commit("hostile values")
    for fmt in ("markdown", "text", "json"):
        code, out, _ = qm("diff", str(repo.root), "--base", "main", "--head", "feature", "--format", fmt, "--no-check")
        assert code == 0
        assert token not in out and "<redacted>" in out
    _, out, _ = qm("diff", str(repo.root), "--base", "main", "--head", "feature", "--format", "markdown", "--no-check")
    assert out.count("<!-- qm-pr-summary -->") == 1
    banner = next(line for line in out.splitlines() if "ui.banner" in line)
    assert "LIVE \\| <img src=x>" in banner and banner.count(" | ") == 4  # still one row of five cells
