"""The GitHub workflows that run the gate and the tests: they parse, and the steps that make
them work are there (SARIF upload with its permission, annotations, the real OPA pinned,
the README's test command with PostgreSQL and Redis). GitHub itself cannot run here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"]


def uses(job: dict[str, Any], action: str) -> dict[str, Any]:
    (step,) = [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]
    return step


def runs(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    return load("policy.yml")


@pytest.fixture(scope="module")
def tests() -> dict[str, Any]:
    return load("tests.yml")


ALL = sorted(p.name for p in WORKFLOWS.glob("*.y*ml"))
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})")
TAG_COMMENT = re.compile(r"\s+#\s*(?P<tag>v\d+\.\d+\.\d+)\s*$")
EXACT_IMAGE = re.compile(r"[\w./-]+:\d+\.\d+(?:\.\d+)?(?:-[\w.]+)?(?P<digest>@sha256:[0-9a-f]{64})?")


def test_all_workflows_are_covered() -> None:
    # the pinning tests below run over every workflow file, a new one included
    assert {"policy.yml", "pr-summary.yml", "tests.yml"} <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_by_commit_sha_with_its_tag_in_a_comment(name: str) -> None:
    """A tag can be moved to other code; a commit cannot. The comment says which release it is
    (and lets Dependabot update both)."""
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    found = [m for m in map(USES_LINE.match, lines) if m]
    used = [s["uses"] for job in load(name)["jobs"].values() for s in job.get("steps", []) if "uses" in s]
    assert [m["ref"] for m in found] == used  # every `uses:` is on a line of its own, as checked here
    for match in found:
        assert PINNED.fullmatch(match["ref"]), f"{name}: pin {match['ref']} by its full commit SHA"
        assert TAG_COMMENT.fullmatch(match["rest"]), f"{name}: say which tag {match['ref']} is, e.g. '  # v5.1.0'"


def test_one_action_is_pinned_to_one_commit_and_tag_everywhere() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for name in ALL:
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if match and (pinned := PINNED.fullmatch(match["ref"])) and (tag := TAG_COMMENT.fullmatch(match["rest"])):
                pins.setdefault(pinned["action"], set()).add((pinned["sha"], tag["tag"]))
    assert pins and all(len(v) == 1 for v in pins.values()), pins


@pytest.mark.parametrize("name", ALL)
def test_every_checkout_leaves_no_credentials_behind(name: str) -> None:
    """persist-credentials false: later steps (which run the PR's own code) cannot reuse the
    token that checkout would otherwise write into .git/config."""
    checkouts = [
        s
        for job in load(name)["jobs"].values()
        for s in job.get("steps", [])
        if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, (
            f"{name}: checkout without persist-credentials: false"
        )


@pytest.mark.parametrize("name", ALL)
def test_container_images_are_pinned(name: str) -> None:
    """Service images by exact version and digest; every other image (e.g. OPA) at least by an
    exact version: never `postgres:15`, `redis:7` or `latest`."""
    for job in load(name)["jobs"].values():
        for service, spec in job.get("services", {}).items():
            match = EXACT_IMAGE.fullmatch(spec["image"])
            assert match and match["digest"], (
                f"{name}: pin service {service} by exact version and digest, not {spec['image']!r}"
            )
        for key, value in job.get("env", {}).items():
            if key.endswith("_IMAGE"):
                assert EXACT_IMAGE.fullmatch(value), f"{name}: pin {key} to an exact version, not {value!r}"


def test_dependabot_updates_actions_and_pip() -> None:
    config = YAML(typ="safe").load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    assert all(u["directory"] == "/" and u["schedule"]["interval"] for u in ecosystems.values())


def test_workflows_have_name_triggers_and_jobs(policy, tests):
    for doc in (policy, tests):
        assert doc["name"] and doc["jobs"]
        assert set(doc["on"]) == {"pull_request", "push"}  # ruamel reads YAML 1.2: `on` stays a key
        assert doc["permissions"] == {"contents": "read"}  # least privilege by default
        for job in doc["jobs"].values():
            assert job["runs-on"] == "ubuntu-latest" and job["timeout-minutes"] > 0
            for step in steps(job):
                assert ("uses" in step) != ("run" in step), step
    assert policy["on"]["push"] == {"branches": ["main"]}


@pytest.mark.parametrize("job", ["gate", "opa-parity"])
def test_policy_jobs_check_out_full_history_on_python_311_and_install_qm(policy, job):
    j = policy["jobs"][job]
    assert uses(j, "actions/checkout")["with"]["fetch-depth"] == 0
    assert str(uses(j, "actions/setup-python")["with"]["python-version"]) == "3.11"
    assert ("pip install -e '.[opa]'" if job == "opa-parity" else "pip install -e .") in runs(j)


def test_gate_uploads_sarif_to_code_scanning_even_when_the_gate_fails(policy):
    gate = policy["jobs"]["gate"]
    assert gate["permissions"]["security-events"] == "write"
    (sarif_step,) = [s for s in steps(gate) if "--format sarif" in s.get("run", "")]
    assert 'qm check ${BASE:+--base "$BASE" --base-pack} --format sarif --output qm.sarif' in sarif_step["run"]
    assert (
        sarif_step["env"]["BASE"]
        == "${{ github.event_name == 'pull_request' && format('origin/{0}', github.base_ref) || '' }}"
    )
    assert "set +e" in sarif_step["run"] and 'echo "status=$?" >> "$GITHUB_OUTPUT"' in sarif_step["run"]
    upload = uses(gate, "github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == "qm.sarif"
    assert upload["if"].startswith("always()")
    order = [s.get("uses", s.get("run", "")) for s in steps(gate)]
    assert order.index(sarif_step["run"]) < order.index(upload["uses"])


def test_gate_annotates_the_diff_and_fails_at_the_end_with_the_gate_status(policy):
    gate = policy["jobs"]["gate"]
    assert 'qm check ${BASE:+--base "$BASE" --base-pack} --format github' in runs(gate)
    last = steps(gate)[-1]
    assert last["if"] == "always()" and last["env"]["STATUS"] == "${{ steps.gate.outputs.status }}"
    assert 'exit "${STATUS:-2}"' in last["run"]
    assert any(s.get("id") == "gate" for s in steps(gate))


def test_opa_parity_runs_the_real_opa_pinned_and_compares_json_reports(policy):
    job = policy["jobs"]["opa-parity"]
    image, _, tag = job["env"]["OPA_IMAGE"].partition(":")
    assert image == "openpolicyagent/opa"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"pin an exact OPA version, not {tag!r}"
    script = runs(job)
    assert 'docker run -d --name opa -p 8181:8181 "$OPA_IMAGE" run --server --addr :8181' in script
    assert script.index("docker run") < script.index("curl -fsS http://localhost:8181/health")
    assert "qm check --format json --output embedded.json" in script
    assert "qm check --engine opa --opa-url http://localhost:8181 --format json --output opa.json" in script
    assert "del(.engine)" in script and "diff -u embedded.norm.json opa.norm.json" in script


def test_tests_workflow_runs_the_readme_test_command_with_postgres_and_redis(tests):
    (job,) = tests["jobs"].values()
    services = job["services"]
    assert services["postgres"]["image"].startswith("postgres:") and services["postgres"]["ports"] == ["5432:5432"]
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert services["redis"]["image"].startswith("redis:") and services["redis"]["ports"] == ["6379:6379"]
    for service in services.values():
        assert "--health-cmd" in service["options"]  # steps start only once the service answers
    assert job["env"]["CI"] == "true"
    assert str(uses(job, "actions/setup-python")["with"]["python-version"]) == "3.11"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest"
    assert command in readme.splitlines(), "the README's test command changed: update tests.yml too"
    assert steps(job)[-1]["run"] == command
