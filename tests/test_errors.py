"""A `Problem` about a file has a location; one about no file (an option, a URL, a service)
names its subject and never poses as a file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from quantmatrix.errors import ConfigError, Problem, QMError


def test_a_problem_in_a_file_is_located():
    problem = Problem("environments/live.yaml", 46, 5, "spec.risk", "must be positive")
    assert str(problem) == "environments/live.yaml:46:5: spec.risk: must be positive"
    assert problem.as_dict() == {
        "file": "environments/live.yaml",
        "line": 46,
        "col": 5,
        "path": "spec.risk",
        "message": "must be positive",
    }


def test_a_problem_about_no_file_names_its_subject_and_has_no_file():
    problem = Problem(subject="http://127.0.0.1:9", message="OPA server is not reachable")
    assert problem.file == "" and problem.location() == "http://127.0.0.1:9"
    assert str(problem) == "http://127.0.0.1:9: OPA server is not reachable"
    assert problem.as_dict() == {"subject": "http://127.0.0.1:9", "path": "", "message": "OPA server is not reachable"}


def test_a_bare_message_is_not_attributed_to_a_file_named_qm():
    error = QMError("something went wrong")
    assert [p.file for p in error.problems] == [""]
    assert str(error) == "something went wrong"


def test_a_subject_is_redacted_like_the_rest():
    problem = Problem(subject="redis://:hunter2-AKIAABCDEFGHIJKLMNOP@db", message="down")
    assert "AKIAABCDEFGHIJKLMNOP" not in str(problem)


def test_problems_about_files_and_subjects_sort_together():
    problems = ConfigError(
        [Problem("b.yaml", message="x"), Problem(subject="--to", message="y"), Problem("a.yaml", message="z")]
    ).problems
    assert [p.location() for p in problems] == ["--to", "a.yaml", "b.yaml"]


def test_the_edge_prints_a_subject_without_a_file_location(qm, sample_repo: Path):
    code, _, err = qm("render", "nowhere", sample_repo)
    assert code == 2
    assert err.splitlines()[0].startswith("environments: no environment 'nowhere'")


def test_the_check_cli_names_an_unreachable_opa_server_without_a_file(qm, sample_repo: Path):
    shutil.copytree(Path(__file__).resolve().parents[1] / "policies", sample_repo / "policies")
    code, _, err = qm("check", sample_repo, "--engine", "opa", "--opa-url", "http://127.0.0.1:9")
    assert code == 3
    assert err.splitlines()[0] == "http://127.0.0.1:9: OPA server is not reachable or not healthy"


def test_validate_json_gives_file_problems_their_location(qm, sample_repo: Path):
    live = sample_repo / "environments" / "live.yaml"
    live.write_text(live.read_text().replace("max_order_notional: 5000", "max_order_notional: -1"))
    code, out, _ = qm("validate", sample_repo, "--format", "json")
    assert code == 2
    problems = json.loads(out)["problems"]
    assert problems and all(
        p["file"] == "environments/live.yaml" and p["line"] > 0 and "subject" not in p for p in problems
    )
