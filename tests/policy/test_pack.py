"""The guide's policy pack (built in: `quantmatrix/policies/*.rego`): its Rego unit tests pass, the sample repository
is clean under it, every rule is documented and tested, and realistic breakage of the YAML is
reported by the right rule at the exact file and line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from quantmatrix.policy.findings import CheckResult
from quantmatrix.policy.gate import run_check
from quantmatrix.policy.metadata import parse_metadata
from quantmatrix.policy.testing import run_tests
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "quantmatrix" / "policies"  # the built-in pack
AREAS = ("separation", "configuration", "local_paper", "live", "releases")
PREFIXES = ("QM-SEP-", "QM-CFG-", "QM-LOC-", "QM-PAP-", "QM-LIVE-", "QM-REL-")
TODAY = "2026-11-28"  # the sample's live evidence is dated 2026-11-11: recent on this day


def check(root: Path, today: str = TODAY) -> CheckResult:
    source = open_source(root)
    return run_check(load_source(source), source=source, today=today)


def ours(result: CheckResult):
    return [f for f in (*result.findings, *result.waived) if f.rule.id.startswith(PREFIXES)]


# 1. Rego unit tests ------------------------------------------------------------------------


def test_every_rego_unit_test_of_the_pack_passes():
    report = run_tests(open_source(ROOT), pattern=rf"^data\.qm\.rules\.({'|'.join(AREAS)})\.test_")
    failed = [f"{r.name}: {r.message}" for r in report.failed]
    assert not failed, "\n".join(failed)
    per_area = {area: sum(f".{area}.test_" in r.name for r in report.results) for area in AREAS}
    assert all(count >= 10 for count in per_area.values()), per_area


# 2. The sample repository is clean ----------------------------------------------------------


def test_the_sample_repository_has_no_findings():
    result = check(ROOT)
    assert [(f.rule.id, f.location(), f.message) for f in ours(result)] == []


def test_the_pack_covers_every_area_of_the_guide():
    ids = {r.id for r in check(ROOT).rules}
    for prefix in PREFIXES:
        assert any(i.startswith(prefix) for i in ids), prefix


def test_stale_live_evidence_is_the_only_thing_time_changes_on_the_sample():
    stale = ours(check(ROOT, today="2027-02-01"))
    assert stale and {(f.rule.id, f.severity) for f in stale} == {("QM-LIVE-006", "warn")}
    assert {f.path[-2:] for f in stale} == {("reconciliation_tested", "at"), ("verified", "at")}


# 3. Every rule documented and tested ---------------------------------------------------------


def _rule_files() -> list[Path]:
    return [POLICIES / f"{area}.rego" for area in AREAS]


_RULE_HEAD = re.compile(r"^(deny|warn) contains f if \{", re.MULTILINE)
_FINDING_ID = re.compile(r'"id": "(QM-[A-Z]+-\d{3})"')


def _bodies(text: str):
    """(kind, id reported, METADATA id in force) for every rule body of a file."""
    metas = [
        (m.start(), re.search(r"id: (\S+)", text[m.start() :]).group(1))
        for m in re.finditer(r"^# METADATA$", text, re.MULTILINE)
    ]
    heads = list(_RULE_HEAD.finditer(text))
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        reported = set(_FINDING_ID.findall(text[head.start() : end]))
        in_force = [rule_id for start, rule_id in metas if start < head.start()]
        yield head.group(1), reported, in_force[-1] if in_force else None


@pytest.mark.parametrize("file", _rule_files(), ids=lambda p: p.name)
def test_every_finding_id_has_a_metadata_block_of_the_same_severity(file: Path):
    text = file.read_text()
    rules, problems = parse_metadata(str(file), text)
    assert not problems
    meta = {r.id: r for r in rules}
    assert len(meta) == len(rules), "an id has two METADATA blocks"
    for rule in rules:
        assert rule.title and rule.guide.startswith("§") and rule.description, rule.id
        assert rule.id.startswith(PREFIXES)
    for kind, reported, in_force in _bodies(text):
        assert reported == {in_force}, f"a {kind} body reports {reported} under the METADATA of {in_force}"
        assert meta[in_force].severity == kind, f"{in_force} is {meta[in_force].severity} but a {kind} rule"


@pytest.mark.parametrize("file", _rule_files(), ids=lambda p: p.name)
def test_every_rule_has_a_unit_test_asserting_it_fires(file: Path):
    rules, _ = parse_metadata(str(file), file.read_text())
    tests = file.with_name(file.stem + "_test.rego").read_text()
    test_bodies = re.split(r"^(?=test_)", tests, flags=re.MULTILINE)
    for rule in rules:
        firing = [body for body in test_bodies if "fired(" in body and f'"{rule.id}"' in body]
        assert firing, f"{rule.id} has no test asserting that it fires"


def _settings_paths(value, prefix=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _settings_paths(item, (*prefix, key))
    else:
        yield prefix


def test_settings_used_by_the_rules_exist_and_the_tests_copy_matches():
    import regorus
    from ruamel.yaml import YAML

    settings = YAML(typ="safe").load((POLICIES / "settings.yaml").read_text())
    text = "\n".join(f.read_text() for f in _rule_files())
    for used in set(re.findall(r"data\.qm\.settings((?:\.\w+)+)", text)):
        node = settings
        for key in used.strip(".").split("."):
            assert isinstance(node, dict) and key in node, f"data.qm.settings{used} is not in settings.yaml"
            node = node[key]
    engine = regorus.Engine()
    engine.add_policy("fixtures_test.rego", (POLICIES / "fixtures_test.rego").read_text())
    copy = json.loads(engine.eval_query_as_json("data.qm.fixtures.settings"))["result"][0]["expressions"][0]["value"]
    # the tests' copy holds every key of the pack's sections (other packs add their own sections)
    assert set(_settings_paths(copy)) == {p for p in _settings_paths(settings) if p[0] in copy}
    assert {used.strip(".").split(".")[0] for used in re.findall(r"data\.qm\.settings((?:\.\w+)+)", text)} <= set(copy)
    # the secret detectors are one definition: the tests' copy is the same patterns, verbatim
    assert copy["secret_scan"] == settings["secret_scan"]


# 4. End to end: break the YAML, find the rule at the line ------------------------------------


def edit(file: Path, old: str, new: str, after: str | None = None) -> None:
    text = file.read_text()
    start = text.index(after) if after else 0
    assert old in text[start:], old
    file.write_text(text[:start] + text[start:].replace(old, new, 1))


def located(result: CheckResult, rule_id: str) -> list[tuple[str, int, str]]:
    return [(f.file, f.line, f.target) for f in result.findings if f.rule.id == rule_id]


# (what breaks, file, old text, new text, rule, text on the line the finding must point at, target)
BREAKAGE = [
    (
        "live secret in paper",
        "environments/paper.yaml",
        "key_id: {secret: QM_PAPER_BROKER_KEY_ID}",
        "key_id: {secret: QM_LIVE_BROKER_KEY_ID}",
        "QM-SEP-001",
        "QM_LIVE_BROKER_KEY_ID",
        "environment/paper",
    ),
    (
        "base defaults to the live feed",
        "environments/_base.yaml",
        "feed: demo",
        "feed: live",
        "QM-SEP-008",
        "feed: live",
        "base/_base",
    ),
    (
        "live runs a release that failed paper",
        "releases/2026.11.0.yaml",
        "result: passed",
        "result: failed",
        "QM-LIVE-009",
        "result: failed",
        "release/2026.11.0",
    ),
    (
        "go-live approval missing",
        "environments/live.yaml",
        "    strategy_set: {by: maria.head-of-trading, at: 2026-11-11, reference: RISK-88}\n",
        "",
        "QM-LIVE-001",
        "approvals:",
        "environment/live",
    ),
    (
        "paper inherits a risk limit",
        "environments/paper.yaml",
        "    max_daily_loss: 5000\n",
        "",
        "QM-PAP-003",
        "risk:",
        "environment/paper",
    ),
    (
        "strategy change not documented",
        "releases/2026.11.1.yaml",
        "  strategies: [momentum_breakout 1.4.0 → 1.4.2 (trailing stop rounding fix), pairs_stat_arb 0.9.0 → 0.9.1]",
        "  strategies: [pairs_stat_arb 0.9.0 → 0.9.1]",
        "QM-REL-006",
        "strategies: [pairs_stat_arb",
        "release/2026.11.1",
    ),
]


@pytest.mark.parametrize(
    ("what", "file", "old", "new", "rule", "marker", "target"), BREAKAGE, ids=[b[0] for b in BREAKAGE]
)
def test_realistic_breakage_is_denied_at_the_line_that_wrote_it(
    real_repo: Path, line_of, what, file, old, new, rule, marker, target
):
    edit(real_repo / file, old, new)
    result = check(real_repo)
    assert located(result, rule) == [(file, line_of(real_repo / file, marker), target)]
    assert not result.passed


def test_backtest_routing_live_orders_is_denied_at_its_lines(real_repo: Path, line_of):
    backtest = real_repo / "environments/backtest.yaml"
    edit(backtest, "routes_live_orders: false", "routes_live_orders: true")
    edit(backtest, "endpoint: sim://simulator", "endpoint: https://api.alpaca.markets")
    result = check(real_repo)
    assert located(result, "QM-SEP-004") == [
        ("environments/backtest.yaml", line_of(backtest, "routes_live_orders:"), "environment/backtest")
    ]
    line = line_of(backtest, "endpoint: https://api.alpaca.markets")
    assert ("environments/backtest.yaml", line, "environment/backtest") in located(result, "QM-SEP-002")
    assert ("environments/backtest.yaml", line, "environment/backtest") in located(result, "QM-SEP-005")


def test_a_hard_coded_token_is_denied_and_never_printed(real_repo: Path, line_of, qm):
    token = "ghp_R4nd0mT0k3nV4lu3XyZ1234567890abcdEF"
    paper = real_repo / "environments/paper.yaml"
    edit(paper, "half_life_days: 5}", f"half_life_days: 5, api_token: {token}}}", after="pairs_stat_arb")
    result = check(real_repo)
    line = line_of(paper, "api_token:")
    assert ("environments/paper.yaml", line, "environment/paper") in located(result, "QM-CFG-001")
    assert ("environments/paper.yaml", line, "environment/paper") in located(result, "QM-CFG-002")
    for output in ("text", "json", "sarif", "github"):
        code, out, err = qm("check", str(real_repo), "--format", output)
        assert code == 1 and "QM-CFG-002" in out
        assert token not in out + err


def test_a_risky_live_limit_warns_without_failing_the_gate(real_repo: Path, line_of):
    live = real_repo / "environments/live.yaml"
    edit(live, "max_order_notional: 5000", "max_order_notional: 12000")
    result = check(real_repo)
    assert located(result, "QM-CFG-005") == [
        ("environments/live.yaml", line_of(live, "max_order_notional:"), "environment/live")
    ]
    assert [f.rule.id for f in ours(result)] == ["QM-CFG-005"] and result.passed


@pytest.fixture
def tool_repo(real_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample laid out as this tool's repository (the built-in pack at quantmatrix/policies/),
    with that copy installed: tests may break the built-in pack."""
    from quantmatrix.policy import builtin
    from quantmatrix.repo.source import DirectorySource

    shutil.copytree(POLICIES, real_repo / "quantmatrix" / "policies")
    monkeypatch.setattr(builtin, "installed", lambda: DirectorySource(real_repo))
    return real_repo


@pytest.mark.parametrize("remove", ["formats", "credential_key"])
def test_a_pack_without_the_secret_detectors_fails_closed(tool_repo: Path, remove: str, qm):
    """QM-CFG-001/002 read their detectors from settings: without them the rules would find
    nothing and the gate would pass, so `qm check` stops with exit 2 instead. (A repository's
    settings cannot remove them: detectors are additive, tests/policy/test_overrides.py.)"""
    settings = tool_repo / "quantmatrix" / "policies" / "settings.yaml"
    text = settings.read_text()
    lines = text.splitlines(keepends=True)
    # the key's line, and for `formats` its entries (the only 4-space lines holding a pattern)
    kept = [
        line
        for line in lines
        if not line.startswith(f"  {remove}:") and not (remove == "formats" and line.startswith("    ") and "'" in line)
    ]
    assert len(kept) < len(lines)
    settings.write_text("".join(kept))
    code, out, err = qm("check", tool_repo)
    assert code == 2, out + err
    assert f"quantmatrix/policies/settings.yaml: secret_scan.{remove}" in err


def test_an_older_base_pack_with_its_detectors_in_rego_still_judges(tool_repo: Path, git, qm):
    """`--base-pack` in this tool's repository loads the base branch's built-in pack: one from
    before the detectors moved to settings (formats in Rego, none in settings.yaml) needs none
    and must not fail closed."""
    from ruamel.yaml import YAML

    real_repo = tool_repo
    rego = real_repo / "quantmatrix" / "policies" / "configuration.rego"
    settings_file = real_repo / "quantmatrix" / "policies" / "settings.yaml"
    settings = YAML(typ="safe").load(settings_file.read_text())
    scan = settings["secret_scan"]
    formats = ", ".join(f'"{name}": `{rx}`' for name, rx in scan["formats"].items())
    old = rego.read_text()
    old = old.replace("secret_formats := data.qm.settings.secret_scan.formats", f"secret_formats := {{{formats}}}")
    old = old.replace(
        "credential_key := data.qm.settings.secret_scan.credential_key", f"credential_key := `{scan['credential_key']}`"
    )
    assert (
        "data.qm.settings.secret_scan.formats" not in old and "data.qm.settings.secret_scan.credential_key" not in old
    )
    text = settings_file.read_text()
    rego_now = rego.read_text()
    rego.write_text(old)
    kept = [
        line
        for line in text.splitlines(keepends=True)
        if not (line.startswith(("  formats:", "  credential_key:")) or (line.startswith("    ") and "'" in line))
    ]
    settings_file.write_text("".join(kept))
    git(real_repo, "init", "-q", "-b", "main")
    git(real_repo, "add", ".")
    git(real_repo, "commit", "-q", "-m", "older pack")
    rego.write_text(rego_now)
    settings_file.write_text(text)
    code, out, err = qm("check", real_repo, "--base", "main", "--base-pack")
    assert code == 0, out + err
