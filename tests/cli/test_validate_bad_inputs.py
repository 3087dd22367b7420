"""`qm validate` on broken and hostile input: exit 2, one line per problem at the exact
file and line, never a traceback, never an echoed secret.

Each case breaks one thing in a private copy of the sample repository and says which file
and line the message must name (found by searching the broken file, so the expectation is
exact and does not drift when the samples change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PAPER = "environments/paper.yaml"
LIVE = "environments/live.yaml"
BASE = "environments/_base.yaml"
RELEASE = "releases/2026.11.1.yaml"

LineIn = Callable[[Path, str], int]


def replace(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@dataclass
class Case:
    """Break the repository; return (file, the text whose line the message names, or that
    line's number, message)."""

    id: str
    breaks: Callable[[Path], tuple[str, str | int, str]]


def _syntax(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "  mode: paper: again\n")
    return PAPER, "mode: paper: again", "YAML syntax error: mapping values are not allowed"


def _duplicate_key(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "  mode: paper\n  mode: live # second\n")
    return PAPER, "mode: live # second", "duplicate key 'mode' (first defined at line"


def _tab(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  release: 2026.11.1\n", "\trelease: 2026.11.1\n")
    return PAPER, "\trelease", "tab character"


def _quoted_number(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "max_daily_loss: 5000\n", 'max_daily_loss: "5000"\n')
    return PAPER, 'max_daily_loss: "5000"', "spec.risk.max_daily_loss: must be a number"


def _yes_is_not_a_boolean(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "    routes_live_orders: false\n", "    routes_live_orders: no\n")
    return PAPER, "routes_live_orders: no", "spec.execution.routes_live_orders: must be true or false"


def _list_expected(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  blocked_symbols: [GME, AMC]\n", "  blocked_symbols: GME\n")
    return PAPER, "blocked_symbols: GME", "spec.blocked_symbols: must be a list"


def _unknown_field(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "  mode: paper\n  max_leverage: 4\n")
    return PAPER, "max_leverage: 4", "spec.max_leverage: unknown field"


def _missing_mode(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "")
    return PAPER, "\nspec:", "spec.mode: required field is missing"


def _api_version(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "apiVersion: quantmatrix.io/v1\n", "apiVersion: quantmatrix.io/v2\n")
    return PAPER, "apiVersion: quantmatrix.io/v2", "apiVersion: must be quantmatrix.io/v1"


def _kind(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "kind: Environment\n", "kind: Enviroment\n")
    return PAPER, "kind: Enviroment", "kind 'Enviroment' is not allowed in environments/"


def _empty(repo: Path) -> tuple[str, str, str]:
    (repo / PAPER).write_text("# nothing here yet\n", encoding="utf-8")
    return PAPER, "# nothing", "file is empty"


def _top_level_list(repo: Path) -> tuple[str, str, str]:
    (repo / PAPER).write_text("# environments as a list\n- name: paper\n  mode: paper\n", encoding="utf-8")
    return PAPER, "- name: paper", "top level is a list; expected a mapping"


def _not_utf8(repo: Path) -> tuple[str, str, str]:
    path = repo / PAPER
    path.write_bytes(path.read_bytes().replace(b"without real capital", b"sans capital r\xe9el"))
    return PAPER, "sans capital r", "not valid UTF-8 (byte 0xe9)"


def _binary_junk(repo: Path) -> tuple[str, str, str]:
    (repo / RELEASE).write_bytes(b"\x89PNG\r\n\x1a\nIHDR\x00\x00\x01\x00 junk\n")
    return RELEASE, "IHDR", "binary content (NUL bytes)"


def _control_character(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "banner: PAPER TRADING\n", "banner: PAPER\x07TRADING\n")
    return PAPER, "banner: PAPER\x07", "unacceptable character #x0007"


def _billion_laughs(repo: Path) -> tuple[str, str, str]:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    (repo / RELEASE).write_text(
        "apiVersion: quantmatrix.io/v1\nkind: Release\n" + "\n".join(levels) + "\n", encoding="utf-8"
    )
    return RELEASE, "a: &a", "anchors and aliases are not allowed"


def _oversized(repo: Path) -> tuple[str, int, str]:
    padding = "# " + "x" * 1021 + "\n"  # 1 KiB a line: the 1,025th line crosses 1 MiB
    (repo / "environments/huge.yaml").write_text(padding * 1100, encoding="utf-8")
    return "environments/huge.yaml", 1025, "larger than the 1,048,576-byte (1 MiB) limit"


def _same_name_twice(repo: Path) -> tuple[str, str, str]:
    (repo / "environments/live.yml").write_bytes((repo / LIVE).read_bytes())
    return "environments/live.yml", "  name: live", "'live' is already defined by environments/live.yaml"


def _name_mismatch(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  name: paper\n", "  name: paper2\n")
    return PAPER, "name: paper2", "name 'paper2' does not match the file name 'paper'"


def _two_documents(repo: Path) -> tuple[str, str, str]:
    path = repo / PAPER
    path.write_text(path.read_text(encoding="utf-8") + "---\napiVersion: quantmatrix.io/v1\n", encoding="utf-8")
    return PAPER, "\n---\n", "more than one YAML document"


def _unsupported_tag(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "  mode: !!python/object/apply:os.system [echo pwned]\n")
    return PAPER, "mode: !!python", "unsupported YAML tag !!python/object/apply:os.system"


def _deep_nesting(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "  mode: paper\n  deep: " + "[" * 50_000 + "]" * 50_000 + "\n")
    return PAPER, "deep: [[[", "nesting deeper than 32 levels"


def _float_version(repo: Path) -> tuple[str, str, str]:
    replace(
        repo, PAPER, "- name: mean_reversion\n      version: 2.0.1\n", "- name: mean_reversion\n      version: 2.0\n"
    )
    return PAPER, "version: 2.0\n", "spec.strategies[1].version: 2.0 is a number, not an exact version"


def _latest(repo: Path) -> tuple[str, str, str]:
    replace(repo, RELEASE, "    api: 3.3.1\n", "    api: latest\n")
    return RELEASE, "api: latest", "spec.components.api: 'latest' is not an exact version"


def _negative_limit(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "max_daily_loss: 5000\n", "max_daily_loss: -5000\n")
    return PAPER, "max_daily_loss: -5000", "spec.risk.max_daily_loss: must be greater than 0"


def _secret_value(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "key_id: {secret: QM_PAPER_BROKER_KEY_ID}", "key_id: PKTEST-4f9a-SUPERSECRET")
    return PAPER, "key_id: PKTEST", "must be a secret reference {secret: NAME}"


def _key_not_a_string(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  mode: paper\n", "  mode: paper\n  2026: a year\n")
    return PAPER, "2026: a year", "keys must be strings"


def _missing_release(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "  release: 2026.11.1\n", "  release: 2026.12.0\n")
    return PAPER, "release: 2026.12.0", "spec.release: release 2026.12.0 not found in releases/"


def _strategy_version_mismatch(repo: Path) -> tuple[str, str, str]:
    replace(
        repo, PAPER, "- name: pairs_stat_arb\n      version: 0.9.1\n", "- name: pairs_stat_arb\n      version: 0.9.0\n"
    )
    return (
        PAPER,
        "version: 0.9.0",
        "spec.strategies[2].version: version 0.9.0 differs from 0.9.1, the version release 2026.11.1 pins",
    )


def _undeclared_secret(repo: Path) -> tuple[str, str, str]:
    replace(repo, PAPER, "{secret: QM_PAPER_REDIS_URL}", "{secret: QM_PAPER_REDIS_URL_V2}")
    return (
        PAPER,
        "QM_PAPER_REDIS_URL_V2",
        "spec.redis.url: secret QM_PAPER_REDIS_URL_V2 is not declared in the secret catalog (environments/secrets.yaml or environments/secrets/)",
    )


def _bad_base_value(repo: Path) -> tuple[str, str, str]:
    replace(repo, BASE, '    channels: ["#qm-ops"]\n', "    channels: 5\n")
    return BASE, "channels: 5", "spec.alerts.channels: must be a list"


CASES = [
    Case("yaml-syntax-error", _syntax),
    Case("duplicate-key", _duplicate_key),
    Case("tab-indentation", _tab),
    Case("wrong-type-quoted-number", _quoted_number),
    Case("wrong-type-yes-no", _yes_is_not_a_boolean),
    Case("wrong-type-scalar-for-list", _list_expected),
    Case("unknown-field", _unknown_field),
    Case("missing-required-mode", _missing_mode),
    Case("wrong-api-version", _api_version),
    Case("wrong-kind", _kind),
    Case("empty-file", _empty),
    Case("top-level-list", _top_level_list),
    Case("non-utf8-bytes", _not_utf8),
    Case("binary-junk", _binary_junk),
    Case("control-character", _control_character),
    Case("billion-laughs-alias-bomb", _billion_laughs),
    Case("oversized-file", _oversized),
    Case("same-name-twice-yaml-and-yml", _same_name_twice),
    Case("metadata-name-mismatch", _name_mismatch),
    Case("two-documents-in-one-file", _two_documents),
    Case("unsupported-tag", _unsupported_tag),
    Case("deep-nesting", _deep_nesting),
    Case("float-version", _float_version),
    Case("latest-version", _latest),
    Case("negative-risk-limit", _negative_limit),
    Case("secret-value-instead-of-reference", _secret_value),
    Case("non-string-key", _key_not_a_string),
    Case("missing-release", _missing_release),
    Case("strategy-version-mismatch", _strategy_version_mismatch),
    Case("undeclared-secret", _undeclared_secret),
    Case("bad-value-in-base-layer", _bad_base_value),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_at_the_exact_line(case: Case, sample_repo: Path, run_qm, line_in: LineIn) -> None:
    file, marker, message = case.breaks(sample_repo)
    if isinstance(marker, int):
        line = marker
    else:  # a marker starting with "\n" names the line after the newline
        line = line_in(sample_repo / file, marker) + marker[:1].count("\n")

    result = run_qm("validate", sample_repo)

    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    problem_lines = [entry for entry in result.err.splitlines() if entry.startswith(f"{file}:{line}:")]
    assert any(message in entry for entry in problem_lines), f"expected {file}:{line}: … {message}\ngot:\n{result.err}"


def test_at_least_fifteen_distinct_bad_inputs() -> None:
    assert len({c.id for c in CASES}) >= 15


def test_a_secret_written_as_a_value_is_never_echoed(sample_repo: Path, run_qm) -> None:
    _secret_value(sample_repo)
    for fmt in ("text", "json"):
        result = run_qm("validate", sample_repo, "--format", fmt)
        assert result.code == 2
        assert "SUPERSECRET" not in result.output


def test_every_problem_is_reported_at_once(sample_repo: Path, run_qm, line_in: LineIn) -> None:
    _quoted_number(sample_repo)
    _latest(sample_repo)
    replace(sample_repo, LIVE, "  mode: live\n", "  mode: life\n")

    result = run_qm("validate", sample_repo)

    assert result.code == 2
    assert f"{PAPER}:{line_in(sample_repo / PAPER, 'max_daily_loss')}:" in result.err
    assert f"{RELEASE}:{line_in(sample_repo / RELEASE, 'api: latest')}:" in result.err
    assert f"{LIVE}:{line_in(sample_repo / LIVE, 'mode: life')}:" in result.err
    assert result.err.rstrip().endswith("3 problems")


def test_problem_lines_have_the_documented_shape(sample_repo: Path, run_qm, line_in: LineIn) -> None:
    _negative_limit(sample_repo)
    line = line_in(sample_repo / PAPER, "max_daily_loss")

    result = run_qm("validate", sample_repo)

    assert result.err.splitlines()[0] == f"{PAPER}:{line}:5: spec.risk.max_daily_loss: must be greater than 0"


def test_json_format_lists_problems_with_locations(sample_repo: Path, run_qm, line_in: LineIn) -> None:
    import json

    _missing_release(sample_repo)
    result = run_qm("validate", sample_repo, "--format", "json")

    assert result.code == 2
    report = json.loads(result.out)
    assert report["valid"] is False
    assert report["problems"] == [
        {
            "file": PAPER,
            "line": line_in(sample_repo / PAPER, "release: 2026.12.0"),
            "col": 3,
            "path": "spec.release",
            "message": "release 2026.12.0 not found in releases/",
        }
    ]


def test_missing_directory(tmp_path: Path, run_qm) -> None:
    result = run_qm("validate", tmp_path / "nowhere")
    assert result.code == 2
    assert f"{tmp_path / 'nowhere'}: no such directory" in result.err
    assert "Traceback" not in result.output


def test_directory_without_environments(tmp_path: Path, run_qm) -> None:
    result = run_qm("validate", tmp_path)
    assert result.code == 2
    assert "no environment files found" in result.err


def test_a_broken_release_file_does_not_also_report_it_missing(sample_repo: Path, run_qm) -> None:
    (sample_repo / RELEASE).write_text("apiVersion: [\n", encoding="utf-8")
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    assert RELEASE in result.err
    assert "not found in releases/" not in result.err


def test_a_broken_catalog_does_not_flag_every_secret_reference(sample_repo: Path, run_qm, line_in: LineIn) -> None:
    catalog = "environments/secrets.yaml"
    replace(
        sample_repo,
        catalog,
        "      scope: live\n      description: Alpaca LIVE account API key id.",
        "      scope: prod\n      description: Alpaca LIVE account API key id.",
    )

    result = run_qm("validate", sample_repo)

    assert result.code == 2
    assert result.err.splitlines()[0].startswith(f"{catalog}:{line_in(sample_repo / catalog, 'scope: prod')}:")
    assert "is not declared" not in result.err
    assert result.err.rstrip().endswith("1 problem")
