"""The PR summary workflow: it parses and has what makes it work (GitHub cannot run here)."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from quantmatrix.diff.markdown import MARKER

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "pr-summary.yml"


def test_pr_summary_workflow_posts_one_updatable_comment():
    workflow = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    assert "pull_request" in workflow["on"] and "pull_request_target" not in workflow["on"]
    assert workflow["permissions"]["pull-requests"] == "write"
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    plan = next(s for s in steps if s.get("id") == "plan")
    assert 'qm diff --base "origin/${BASE_REF}" --format markdown > summary.md' in plan["run"]
    assert plan["env"]["BASE_REF"] == "${{ github.base_ref }}"
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    script = comment["with"]["script"]
    assert f"const marker = '{MARKER}';" in script
    assert "updateComment" in script and "createComment" in script
    assert all(
        "@" in s["uses"] and not s["uses"].endswith(("@main", "@master", "@latest")) for s in steps if "uses" in s
    )
