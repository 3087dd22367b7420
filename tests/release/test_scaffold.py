"""`qm release new`: a valid manifest carried forward from the previous release, with its
evidence left open, never overwriting, and flagged by the gate until it is ready."""

from __future__ import annotations

import difflib
import json

from quantmatrix.repo.loader import load

TEMPLATE = "releases/2026.11.1.yaml"
NEW = "releases/2026.12.0.yaml"


def test_new_release_carries_versions_forward_and_leaves_evidence_open(repo, qm):
    code, out, err = qm("release", "new", "2026.12.0", str(repo.root))
    assert code == 0, err
    assert f"wrote {NEW} from 2026.11.1" in out
    release = load(repo.root).releases["2026.12.0"].spec
    previous = load(repo.root).releases["2026.11.1"].spec
    assert release.components == previous.components
    assert release.strategies == previous.strategies
    assert release.analytics == previous.analytics
    assert release.database.revision == previous.database.revision
    assert release.config_version == "2026.12.0"
    assert release.rollback.previous == "2026.11.1" and release.rollback.migrations_reversible
    assert release.changes.model_dump() == {"config": [], "migrations": [], "strategies": [], "risk": []}
    assert all(v is None for v in release.checklist.model_dump().values())
    assert release.validation.paper is None
    assert qm("validate", str(repo.root))[0] == 0


def test_new_release_keeps_the_templates_formatting_and_comments(repo, qm):
    repo.edit(
        TEMPLATE,
        "  strategies:\n    momentum",
        "  # strategy versions: bump with the research sign-off\n  strategies:\n    momentum",
    )
    repo.commit("comment the template")
    assert qm("release", "new", "2026.12.0", str(repo.root), "--from", "2026.11.1")[0] == 0
    before, after = repo.read(TEMPLATE).splitlines(), repo.read(NEW).splitlines()
    changed = [line for line in difflib.ndiff(before, after) if line[:1] in "-+"]
    removed = [line[2:] for line in changed if line[0] == "-"]
    added = [line[2:] for line in changed if line[0] == "+"]
    assert "  # strategy versions: bump with the research sign-off" in after  # body comments survive
    assert after[0] == before[0] == "# yaml-language-server: $schema=../schemas/Release.schema.json"
    assert [line for line in added if not line.startswith("# ")] == [
        "  name: 2026.12.0",
        "  config_version: 2026.12.0",
        "    config: []",
        "    strategies: []",
        "    previous: 2026.11.1",
        "    plan: Halt trading if execution is affected, redeploy 2026.11.1 components and strategy versions, reconcile, resume.",
        "  checklist: {}",
        "  validation: {}",
    ]
    assert "  description: Momentum breakout stop fix, pairs 0.9.1, analytics logic 1.3.1." in removed
    assert "    release_change_checklist: {by: li.eng, at: 2026-11-16, reference: RCC-2026.11.1}" in removed
    assert (
        len(removed) == 11
    )  # header comment, name, description, config_version, 2 lists, previous, plan, checklist (3 lines)


def test_new_release_refuses_to_overwrite(repo, qm):
    assert qm("release", "new", "2026.12.0", str(repo.root))[0] == 0
    repo.edit(NEW, "api: 3.3.1", "api: 3.4.0")
    code, _, err = qm("release", "new", "2026.12.0", str(repo.root))
    assert code == 2 and "already exists; refusing to overwrite it" in err
    assert "api: 3.4.0" in repo.read(NEW)


def test_new_release_refuses_bad_versions_and_unknown_templates(repo, qm):
    code, _, err = qm("release", "new", "latest", str(repo.root))
    assert code == 2 and "not an exact version" in err
    code, _, err = qm("release", "new", "2026.11.2", str(repo.root), "--from", "2025.1.0")
    assert code == 2 and "no release 2025.1.0" in err
    code, _, err = qm("release", "new", "2026.10.5", str(repo.root), "--from", "2026.11.0")
    assert code == 2 and "not newer than 2026.11.0" in err
    assert sorted(p.name for p in (repo.root / "releases").iterdir()) == [
        "2026.10.0.yaml",
        "2026.11.0.yaml",
        "2026.11.1.yaml",
    ]


def test_the_gate_flags_a_scaffolded_release_as_not_ready(real_pack_repo, qm):
    repo = real_pack_repo
    assert qm("release", "new", "2026.12.0", str(repo.root))[0] == 0
    assert qm("promote", "2026.12.0", str(repo.root), "--to", "paper")[0] == 0
    code, out, _ = qm("check", str(repo.root), "--today", "2026-12-01", "--format", "json")
    assert code == 1
    open_items = [
        f for f in json.loads(out)["findings"] if f["target"] == "release/2026.12.0" and f["severity"] == "deny"
    ]
    assert open_items and all(f["file"] == NEW for f in open_items)
    assert any("checklist" in f["message"] for f in open_items)
