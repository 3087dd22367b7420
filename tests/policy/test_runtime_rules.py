"""QM-RUN-001/002 on the sample repository with the real pack: a live environment that lost its
`runtime` section would run the sandbox on SQLite — the gate says so at the file and line (the
base's `runtime`, which it then inherits)."""

from __future__ import annotations

import json
import re
from pathlib import Path


def _findings(qm, repo: Path) -> tuple[int, list[dict]]:
    code, out, _ = qm("check", repo, "--today", "2026-12-01", "--format", "json")
    return code, json.loads(out)["findings"]


def test_live_without_a_runtime_section_is_denied_where_the_inherited_runtime_is(real_repo: Path, qm, line_of) -> None:
    live = real_repo / "environments" / "live.yaml"
    live.write_text(re.sub(r"\n  runtime:\n(    .*\n)+", "\n", live.read_text()))
    code, findings = _findings(qm, real_repo)
    assert code == 1
    base_line = line_of(real_repo / "environments" / "_base.yaml", "  runtime:")
    found = {(f["id"], f["file"], f["line"]) for f in findings}
    assert found == {
        ("QM-RUN-001", "environments/_base.yaml", base_line),
        ("QM-RUN-002", "environments/_base.yaml", base_line),
    }
    assert sum(f["id"] == "QM-RUN-002" for f in findings) == 3  # api, workers and ui would each be the sandbox


def test_the_samples_pass_the_runtime_rules(real_repo: Path, qm) -> None:
    code, findings = _findings(qm, real_repo)
    assert code == 0 and findings == []
