"""Every format through the real `qm check` (loader, embedded engine, waivers, CLI edge) on
the sample repository checked by the fixture pack (`repo` and `qm` fixtures of
tests/policy/conftest.py): the reports agree with each other and SARIF stays valid."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
TODAY = ("--today", "2026-12-01")


def report(qm, repo: Path, fmt: str, tmp_path: Path) -> str:
    out = tmp_path / f"report.{fmt}"
    code, stdout, stderr = qm("check", str(repo), *TODAY, "--format", fmt, "--output", str(out))
    assert code == 1, stderr  # the fixture pack denies the sample live daily loss
    assert stdout == ""
    return out.read_text(encoding="utf-8")


@pytest.fixture
def waived_repo(repo: Path) -> Path:
    """The fixture repository with one warning accepted by a waiver."""
    (repo / "policies" / "waivers.yaml").write_text(
        "apiVersion: quantmatrix.io/v1\nkind: Waivers\nwaivers:\n"
        "  - rule: QM-FIX-002\n    target: environment/local\n    reason: local has no halt switch, OPS-17\n"
        "    approver: ops.lead\n    expires: 2027-01-31\n",
        encoding="utf-8",
    )
    return repo


def test_formats_agree_on_the_findings_of_a_real_run(waived_repo: Path, qm, tmp_path: Path):
    doc = json.loads(report(qm, waived_repo, "json", tmp_path))
    assert doc["summary"]["denied"] >= 1 and doc["summary"]["waived"] == 1
    active = {(f["id"], f["file"], f["line"], f["col"]) for f in doc["findings"]}
    waived = {(f["id"], f["file"], f["line"], f["col"]) for f in doc["waived"]}
    assert doc["waived"][0]["waiver"]["approver"] == "ops.lead"

    sarif = json.loads(report(qm, waived_repo, "sarif", tmp_path))
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]

    def located(r: dict) -> tuple:
        region = r["locations"][0]["physicalLocation"]["region"]
        return (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            region["startLine"],
            region["startColumn"],
        )

    assert {located(r) for r in results if "suppressions" not in r} == active
    assert {located(r) for r in results if "suppressions" in r} == waived
    rule_ids = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert rule_ids == [r["id"] for r in doc["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)

    junit = ET.fromstring(report(qm, waived_repo, "junit", tmp_path).encode("utf-8"))
    assert int(junit.get("failures")) == len(
        {(f["id"], f["target"]) for f in doc["findings"] if f["severity"] == "deny"}
    )
    assert int(junit.get("skipped")) == 1
    assert len(junit.findall("testsuite")) == len(doc["rules"])

    github = report(qm, waived_repo, "github", tmp_path).splitlines()
    assert len(github) == len(doc["findings"]) + len(doc["waived"]) + 1
    assert sum(line.startswith("::error ") for line in github) == doc["summary"]["denied"]
    assert sum(line.startswith("::notice ") for line in github) == 1


def test_text_on_stdout_is_plain_when_not_a_terminal(repo: Path, qm):
    code, out, _ = qm("check", str(repo), *TODAY)
    assert code == 1
    assert "\x1b[" not in out
    assert out.splitlines()[2] == "environment/live"  # live first
    assert out.rstrip().endswith("— FAILED")


def test_text_written_to_a_file_has_no_colour_codes(repo: Path, qm, tmp_path: Path):
    out = tmp_path / "report.txt"
    code, _, _ = qm("check", str(repo), *TODAY, "--output", str(out))
    assert code == 1
    written = out.read_text(encoding="utf-8")
    assert "\x1b" not in written and "  DENY QM-FIX-001 environments/live.yaml:" in written
