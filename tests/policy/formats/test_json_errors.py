"""`qm check --format json` when there is no result: a JSON error document (stdout or
--output) with every problem at its file:line, the same exit code, the problems on stderr as
with every format. A CI consumer never reads an empty or stale report as a pass."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _break(repo: Path, line_of) -> tuple[str, int]:
    path = repo / "environments/paper.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("mode: paper", "mode: papr", 1), encoding="utf-8")
    return "environments/paper.yaml", line_of(path, "mode: papr")


def test_invalid_input_is_a_json_error_document_on_stdout(repo: Path, qm, line_of) -> None:
    file, line = _break(repo, line_of)
    code, out, err = qm("check", repo, "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["status"] == "error" and doc["passed"] is False and doc["exit_code"] == 2
    assert doc["schema"] == "quantmatrix.io/check-result/v1" and doc["source"] == str(repo)
    (problem,) = doc["problems"]
    assert (problem["file"], problem["line"], problem["path"]) == (file, line, "spec.mode")
    assert problem["col"] > 0 and problem["message"]
    assert f"{file}:{line}:" in err  # people still read it on stderr


def test_the_error_document_replaces_a_stale_output_file(repo: Path, qm, line_of, tmp_path: Path) -> None:
    report = tmp_path / "qm.json"
    assert qm("check", repo, "--format", "json", "--output", report)[0] in (0, 1)  # the fixture pack's verdict
    assert "findings" in json.loads(report.read_text())
    _break(repo, line_of)
    code, out, _ = qm("check", repo, "--format", "json", "--output", report)
    assert code == 2 and out == ""
    assert json.loads(report.read_text())["status"] == "error"


def test_a_broken_policy_is_an_error_document(repo: Path, qm) -> None:
    (repo / "policies" / "broken.rego").write_text("package qm.rules.broken\n\ndeny contains x if {\n")
    code, out, _ = qm("check", repo, "--format", "json")
    doc = json.loads(out)
    assert code == 2 and doc["exit_code"] == 2
    assert any(p["file"].endswith("broken.rego") for p in doc["problems"])


def test_an_unreachable_opa_is_an_error_document_with_exit_3(repo: Path, qm) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    code, out, _ = qm("check", repo, "--format", "json", "--engine", "opa", "--opa-url", url)
    doc = json.loads(out)
    assert code == 3 and doc["exit_code"] == 3 and doc["status"] == "error"
    # a problem about a service names it as its subject, not as a file
    assert doc["problems"][0]["subject"] == url and "file" not in doc["problems"][0]


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "github"])
def test_other_formats_keep_stdout_empty_on_error(repo: Path, qm, line_of, fmt: str) -> None:
    _break(repo, line_of)
    code, out, err = qm("check", repo, "--format", fmt)
    assert code == 2 and out == "" and "1 problem" in err
