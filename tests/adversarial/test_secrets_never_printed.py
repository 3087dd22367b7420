"""Issue 7, "Secrets are never printed, anywhere": an attacker's (or a tired engineer's)
secrets pasted into every kind of field, then every command in every format, with and without
`--base`. No canary may appear in stdout, stderr or a written report; ordinary values
(secret reference names, versions, plain URLs) are still printed as they are.

The repositories are real: the sample's files copied, a git commit as the base, hostile
edits in the work tree as the head. Commands run in-process through the real CLI edge.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

ROOT = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "QM Test",
    "GIT_AUTHOR_EMAIL": "qm-test@example.invalid",
    "GIT_COMMITTER_NAME": "QM Test",
    "GIT_COMMITTER_EMAIL": "qm-test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

# Secret shapes (QM-CFG-002's detectors): the string pasted, and the part that must not leak.
SHAPES: dict[str, tuple[str, str]] = {
    "aws-key-id": ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "pem": (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq9Zbm\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAq9Zbm",
    ),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxbS1hZG1pbiJ9.qk3Sg7Ywc9Xn1RZ8m2h0", "eyJzdWIiOiJxbS1hZG1pbiJ9"),
    "url-password": ("https://trader:S3cretPass@api.alpaca.markets", "S3cretPass"),
    "bearer": ("Authorization: Bearer hK2jd8Zx0Lq7wPa9mN3vB5cR", "hK2jd8Zx0Lq7wPa9mN3vB5cR"),
    "high-entropy": ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
    "inline-password": ("db host=pg1 password=Hunter2Hunter2", "Hunter2Hunter2"),
    "github-token": ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E7710c838347Ae178B4a"),
}
CANARIES = [leak for _, leak in SHAPES.values()] + ["hunter2hunter2"]
# Shapes that fit in a mapping key (one token, no spaces).
KEY_SHAPES = ["aws-key-id", "jwt", "high-entropy", "github-token"]

# Nothing we print may carry a raw control or bidi character (newline and tab aside); tests
# do not run on a terminal, so not even colour codes.
RAW_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

yaml = YAML()  # round trip: comments and layout kept, so every edit stays a small change
yaml.width = 4096
yaml.preserve_quotes = True


def _quoted(value: Any) -> Any:
    """Strings double-quoted: ruamel.yaml emits `a: b` inside a flow mapping unquoted."""
    if isinstance(value, str):
        return DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        return {_quoted(k): _quoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    return value


def _set(node: Any, key: Any, value: Any) -> None:
    node[_quoted(key)] = _quoted(value)


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def _embedded(shape: str) -> str:
    return f"see {SHAPES[shape][0]} (rotated)"


def _hostile_head(repo: Path) -> None:
    """Every kind of free-text field gets a secret, alone or inside a longer string."""
    shapes = list(SHAPES)
    everything = " | ".join(SHAPES[s][0] for s in shapes)

    def live(d: Any) -> None:
        _set(d["metadata"], "description", "Real capital. " + everything)
        _set(d["spec"]["execution"], "endpoint", SHAPES["url-password"][0])  # QM-CHG-009 prints old → new
        _set(d["spec"]["execution"], "account", "LA-QM-7731 " + SHAPES["aws-key-id"][0])
        _set(d["spec"]["approvals"]["broker_endpoint_verified"], "reference", "OPS-1 " + SHAPES["bearer"][0])
        _set(d["spec"]["strategies"][0]["params"], "note", SHAPES["pem"][0])

    def paper(d: Any) -> None:
        _set(d["spec"]["ui"], "banner", "PAPER TRADING " + SHAPES["jwt"][0])
        params = d["spec"]["strategies"][0].setdefault("params", {})
        for shape in KEY_SHAPES:
            _set(params, SHAPES[shape][0], 1)
        _set(params, "db_password", {"v": ["hunter2hunter2"]})
        _set(params, "remark", _embedded("high-entropy"))
        _set(d["spec"]["api"], "base_url", "https://paper2.qm.internal/api")  # ordinary: printed

    def release(d: Any) -> None:
        _set(d["spec"]["changes"], "config", [_embedded(s) for s in shapes])
        _set(d["spec"]["checklist"]["release_change_checklist"], "reference", _embedded("inline-password"))

    def catalog(d: Any) -> None:
        _set(d["spec"]["secrets"]["QM_LIVE_REDIS_URL"], "description", "was " + SHAPES["url-password"][0])

    def waivers(d: Any) -> None:
        _set(
            d,
            "waivers",
            [
                {
                    "rule": "QM-CFG-002",
                    "target": "secrets.QM_LIVE_REDIS_URL.description",
                    "reason": "RISK-1 " + SHAPES["url-password"][0],
                    "approver": SHAPES["github-token"][0],
                    "expires": "2026-12-31",
                }
            ],
        )

    _edit(repo / "environments/live.yaml", live)
    _edit(repo / "environments/paper.yaml", paper)
    _edit(repo / "releases/2026.11.1.yaml", release)
    _edit(repo / "environments/secrets.yaml", catalog)
    _edit(repo / "policies/waivers.yaml", waivers)
    # a policy file of the PR's own: a package and a failing test that carry secrets
    (repo / "policies/leak_test.rego").write_text(
        "package qm.rules.AKIAIOSFODNN7EXAMPLE\n\nimport rego.v1\n\n"  # an area of its own: a built-in package is refused
        'test_leaks if {\n\tx := "password=Hunter2Hunter2"\n\tx == "y"\n}\n'
    )


def _assert_never_printed(*texts: str) -> None:
    joined = "\n".join(texts)
    for canary in CANARIES:
        assert canary not in joined, f"secret {canary[:12]}… printed"
    unsafe = RAW_UNSAFE.search(joined)
    assert unsafe is None, f"raw U+{ord(unsafe.group()):04X} printed"


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    repo = tmp_path_factory.mktemp("hostile") / "repo"
    for folder in ("environments", "releases", "policies"):
        shutil.copytree(ROOT / folder, repo / folder)
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)
    _hostile_head(repo)
    yield repo


def _runs(repo: Path) -> list[tuple[str, list[str]]]:
    runs: list[tuple[str, list[str]]] = [
        ("validate", ["validate", repo]),
        ("validate-json", ["validate", repo, "--format", "json"]),
        ("render-live", ["render", "live", repo]),
        ("render-paper", ["render", "paper", repo]),
        ("render-paper-json", ["render", "paper", repo, "--format", "json"]),
        ("policy-test", ["policy", "test", repo]),
    ]
    for fmt in ("text", "json", "junit", "sarif", "github", "markdown"):
        runs.append((f"check-{fmt}", ["check", repo, "--format", fmt, "--today", "2026-12-01"]))
        runs.append((f"check-{fmt}-base", ["check", repo, "--format", fmt, "--base", "main", "--today", "2026-12-01"]))
        runs.append(
            (
                f"check-{fmt}-base-pack",
                ["check", repo, "--format", fmt, "--base", "main", "--base-pack", "--today", "2026-12-01"],
            )
        )
    for fmt in ("text", "markdown", "json"):
        runs.append((f"diff-{fmt}", ["diff", repo, "--base", "main", "--format", fmt, "--today", "2026-12-01"]))
    return runs


RUN_NAMES = [name for name, _ in _runs(Path("."))]


@pytest.mark.parametrize("name", RUN_NAMES)
def test_no_command_or_format_prints_a_secret(name: str, hostile_repo: Path, qm) -> None:
    args = dict(_runs(hostile_repo))[name]
    code, out, err = qm(*args)
    assert code in (0, 1), f"{name}: exit {code}: {err}"
    _assert_never_printed(out, err)
    if name.endswith(("-base", "-base-pack")) or name.startswith(("diff", "render")):  # values are shown: redacted
        assert "redacted" in out, f"{name}: the hostile fields are not shown at all"  # markdown, XML: &lt;


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif", "github", "markdown"])
def test_written_reports_hold_no_secret(fmt: str, hostile_repo: Path, tmp_path: Path, qm) -> None:
    report = tmp_path / f"report.{fmt}"
    code, out, err = qm(
        "check", hostile_repo, "--format", fmt, "--base", "main", "--output", report, "--today", "2026-12-01"
    )
    assert code == 1, err
    _assert_never_printed(out, err, report.read_text(encoding="utf-8"))


def test_the_gate_denies_what_output_redacts(hostile_repo: Path, qm) -> None:
    """Secrets as mapping keys (QM-CFG-002) and a credential-named field holding a nested
    literal (QM-CFG-001) are denied, each at its field."""
    code, out, _ = qm("check", hostile_repo, "--format", "json", "--today", "2026-12-01")
    assert code == 1
    import json

    findings = json.loads(out)["findings"]
    paths = {(f["id"], ".".join(str(p) for p in f["path"])) for f in findings}
    assert ("QM-CFG-001", "declared.paper.spec.strategies.0.params.db_password") in paths
    keyed = [
        f for f in findings if f["id"] == "QM-CFG-002" and f["path"][-1] == "<redacted>" and "has a key" in f["message"]
    ]
    assert len(keyed) >= len(KEY_SHAPES), keyed  # one per key at least (a key may match two detectors)


def test_ordinary_values_are_still_printed(hostile_repo: Path, qm) -> None:
    _, rendered, _ = qm("render", "paper", hostile_repo)
    assert "QM_PAPER_BROKER_KEY_ID" in rendered and "2026.11.1" in rendered
    assert "lookback_minutes" in rendered or "params" in rendered
    for fmt in ("text", "markdown", "json"):
        _, out, _ = qm("diff", hostile_repo, "--base", "main", "--format", fmt, "--no-check")
        assert "https://paper2.qm.internal/api" in out, fmt
        assert "https://paper.qm.internal/api" in out, fmt


# Invalid input: the messages name the field, never the value -----------------------------------


def _broken(repo: Path, shape: str) -> None:
    secret = SHAPES[shape][0]
    token = secret if shape in KEY_SHAPES else SHAPES["aws-key-id"][0]

    def paper(d: Any) -> None:
        _set(d["spec"], token, 1)  # spec.<token>: unknown field
        _set(d["spec"]["execution"]["credentials"], "key_id", {"secret": token})  # undeclared secret
        _set(d["spec"]["ui"], "banner", ["PAPER", secret])  # wrong type: the value is not echoed

    def release(d: Any) -> None:
        _set(d["spec"]["components"], "api", secret)  # not an exact version

    _edit(repo / "environments/paper.yaml", paper)
    _edit(repo / "releases/2026.11.1.yaml", release)
    _edit(repo / "environments/local.yaml", lambda d: _set(d["metadata"], "name", token))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_invalid_input_messages_never_echo_the_secret(shape: str, sample_repo: Path, qm) -> None:
    _broken(sample_repo, shape)
    for args in (
        ["validate", sample_repo],
        ["validate", sample_repo, "--format", "json"],
        ["render", "paper", sample_repo],
    ):
        code, out, err = qm(*args)
        assert code == 2, (args, err)
        _assert_never_printed(out, err)
        assert "spec.ui.banner" in out + err


def test_release_and_promote_never_echo_a_secret_argument(sample_repo: Path, qm) -> None:
    for shape in SHAPES:
        secret = SHAPES[shape][0]
        for args in (
            ["release", "new", secret, sample_repo],
            ["release", "new", "2026.12.0", sample_repo, "--from", secret],
            ["promote", secret, sample_repo, "--to", "paper"],
            ["promote", "2026.11.1", sample_repo, "--to", secret],
            ["promote", "2026.11.1", sample_repo, "--to", "live", "--evidence", secret],
            ["render", secret, sample_repo],
        ):
            code, out, err = qm(*args)
            assert code in (1, 2), (args, out, err)
            _assert_never_printed(out, err)


def test_a_secret_in_a_waiver_fails_the_gate_at_its_line(hostile_repo: Path, qm) -> None:
    """policies/waivers.yaml is scanned too: the hostile waiver's reason and approver are
    QM-CFG-002 denials at their lines in the waivers file, named by field."""
    import json

    code, out, _ = qm("check", hostile_repo, "--format", "json", "--today", "2026-12-01")
    assert code == 1
    in_waivers = [
        f for f in json.loads(out)["findings"] if f["id"] == "QM-CFG-002" and f["file"].endswith("waivers.yaml")
    ]
    messages = " ".join(f["message"] for f in in_waivers)
    assert "reason looks like a URL with an embedded password" in messages, messages
    assert "approver looks like a GitHub token" in messages, messages
    assert all(f["line"] > 0 for f in in_waivers)
