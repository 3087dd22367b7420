"""Live stays separate: URLs are judged by their parsed host, never by a substring.

Attacks on the URL rules, end to end through the real policy pack on a copy of the sample
repository: each hostile paper endpoint gets its own paper environment (a copy of
`paper.yaml`), so one gate run judges them all, and a listed paper host written in an odd but
harmless way must stay silent.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from quantmatrix.policy.findings import CheckResult
from quantmatrix.policy.gate import run_check
from quantmatrix.policy.urls import parse_url
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"

# paper endpoint → the rules that must refuse it (at least), by what the attack tries.
HOSTILE_PAPER = {
    "userinfo": ("https://paper-api.alpaca.markets@api.alpaca.markets", {"QM-PAP-002", "QM-CFG-009"}),
    "userinfo-empty": ("https://@api.alpaca.markets", {"QM-PAP-002", "QM-CFG-009"}),
    "fragment": ("https://api.alpaca.markets#paper", {"QM-PAP-002", "QM-SEP-009", "QM-SEP-005"}),
    "path": ("https://api.alpaca.markets/paper", {"QM-PAP-002", "QM-SEP-009", "QM-SEP-005"}),
    "query": ("https://api.alpaca.markets/?account=paper", {"QM-PAP-002", "QM-SEP-009"}),
    "port": ("https://api.alpaca.markets:8443/paper", {"QM-PAP-002", "QM-SEP-009"}),
    "uppercase": ("https://API.ALPACA.MARKETS/paper", {"QM-PAP-002", "QM-SEP-009", "QM-SEP-005"}),
    "trailing-dot": ("https://api.alpaca.markets./paper", {"QM-PAP-002", "QM-SEP-009", "QM-SEP-005"}),
    "ip-literal": ("https://192.0.2.10/paper", {"QM-PAP-002"}),
    "ipv6-literal": ("https://[2001:db8::1]/paper", {"QM-PAP-002"}),
    "at-in-path": ("https://api.alpaca.markets/@paper-api.alpaca.markets", {"QM-PAP-002", "QM-SEP-009"}),
    "backslash": ("https://paper-api.alpaca.markets\\@api.alpaca.markets", {"QM-PAP-002", "QM-CFG-009"}),
    "percent-host": ("https://%61pi.alpaca.markets/paper", {"QM-PAP-002", "QM-CFG-009"}),
    "look-alike": ("https://p\u0430per-api.alpaca.markets", {"QM-PAP-002"}),  # Cyrillic а
    "suffix-host": ("https://paper-api.alpaca.markets.evil.example", {"QM-PAP-002"}),
    "named-paper": ("https://paper.broker.example.com", {"QM-PAP-002"}),
    "plain-http": ("http://paper-api.alpaca.markets", {"QM-PAP-002"}),
    "websocket": ("ws://paper-api.alpaca.markets", {"QM-PAP-002"}),
    "sim-scheme": ("sim://paper-api.alpaca.markets", {"QM-PAP-002"}),
    "file-scheme": ("file:///etc/paper", {"QM-PAP-002", "QM-CFG-009"}),
    "hex-ipv4": ("https://0x7f.1/paper", {"QM-PAP-002", "QM-CFG-009"}),
    "other-port": ("https://paper-api.alpaca.markets:8443", {"QM-PAP-002"}),
    # IDNA maps these to ASCII as browsers do: they ARE the live host, and are judged so
    "ideographic-dots": ("https://api\u3002alpaca\uff0emarkets/paper", {"QM-PAP-002", "QM-SEP-009"}),
    "fullwidth": ("https://\uff41pi.alpaca.markets/paper", {"QM-PAP-002", "QM-SEP-009"}),
    "decimal-ipv4": ("https://2130706433/paper", {"QM-PAP-002", "QM-CFG-009"}),
    "empty-label": ("https://api..alpaca.markets", {"QM-PAP-002", "QM-CFG-009"}),
}

# Written oddly, but the listed paper host on its default port: no URL finding.
HARMLESS_PAPER = {
    "canonical": "https://paper-api.alpaca.markets",
    "with-path": "https://paper-api.alpaca.markets/v2/orders",
    "case-and-dot": "https://Paper-API.Alpaca.Markets.",
    "explicit-port": "https://paper-api.alpaca.markets:443/v2",
    "wss": "wss://paper-api.alpaca.markets/stream",
    "fragment-live": "https://paper-api.alpaca.markets/#api.alpaca.markets",
}

URL_RULES = {"QM-PAP-002", "QM-CFG-009", "QM-SEP-005", "QM-SEP-009", "QM-SEP-010", "QM-LIVE-012"}


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for folder in ("environments", "releases", "policies"):
        shutil.copytree(ROOT / folder, repo / folder)
    return repo


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\") + '"'


def _add_paper(repo: Path, name: str, endpoint: str) -> None:
    text = (repo / "environments" / "paper.yaml").read_text()
    text = text.replace("name: paper\n", f"name: paper-{name}\n", 1)
    text = text.replace("endpoint: https://paper-api.alpaca.markets\n", f"endpoint: {_yaml_string(endpoint)}\n", 1)
    (repo / "environments" / f"paper-{name}.yaml").write_text(text)


def _check(repo: Path) -> CheckResult:
    source = open_source(repo)
    return run_check(load_source(source), source=source, today=TODAY)


def _rules_at(result: CheckResult, env: str) -> set[str]:
    return {f.rule.id for f in result.findings if f.path[:2] in (("environments", env), ("declared", env))}


@pytest.fixture(scope="module")
def paper_result(tmp_path_factory: pytest.TempPathFactory) -> CheckResult:
    repo = _repo(tmp_path_factory.mktemp("urls"))
    for name, (endpoint, _) in HOSTILE_PAPER.items():
        _add_paper(repo, name, endpoint)
    for name, endpoint in HARMLESS_PAPER.items():
        _add_paper(repo, name, endpoint)
    return _check(repo)


@pytest.mark.parametrize("name", sorted(HOSTILE_PAPER))
def test_hostile_paper_endpoint_is_refused(paper_result: CheckResult, name: str) -> None:
    endpoint, rules = HOSTILE_PAPER[name]
    found = _rules_at(paper_result, f"paper-{name}")
    assert rules <= found, f"{endpoint!r}: expected {sorted(rules)}, got {sorted(found)}"


@pytest.mark.parametrize("name", sorted(HARMLESS_PAPER))
def test_listed_paper_host_written_oddly_passes(paper_result: CheckResult, name: str) -> None:
    assert not _rules_at(paper_result, f"paper-{name}") & URL_RULES


def test_url_findings_name_the_host_never_the_userinfo(paper_result: CheckResult) -> None:
    for finding in paper_result.findings:
        assert "paper-api.alpaca.markets@" not in finding.message
        assert "%61" not in finding.message


def test_live_endpoint_must_be_a_live_host(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    live = repo / "environments" / "live.yaml"
    for endpoint, expected in [
        ("https://paper-api.alpaca.markets", "is not a known live host of broker 'alpaca'"),
        ("https://api.alpaca.markets@paper-api.alpaca.markets", "is not a plain URL"),
        ("https://\u0430pi.alpaca.markets", "xn--pi-6kc.alpaca.markets"),
    ]:
        live.write_text(
            (ROOT / "environments" / "live.yaml")
            .read_text()
            .replace("endpoint: https://api.alpaca.markets\n", f"endpoint: {_yaml_string(endpoint)}\n")
        )
        messages = [f.message for f in _check(repo).findings if f.rule.id == "QM-LIVE-012"]
        assert any(expected in m for m in messages), (endpoint, messages)
    live.write_text(
        (ROOT / "environments" / "live.yaml")
        .read_text()
        .replace("endpoint: https://api.alpaca.markets\n", "endpoint: https://API.Alpaca.Markets./v2\n")
    )
    assert not {f.rule.id for f in _check(repo).findings} & URL_RULES


def test_local_and_backtest_never_point_at_a_live_host(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    local = repo / "environments" / "local.yaml"
    local.write_text(
        local.read_text().replace("base_url: http://127.0.0.1:8000", "base_url: https://api.alpaca.markets:9000/local")
    )
    backtest = repo / "environments" / "backtest.yaml"
    backtest.write_text(
        backtest.read_text().replace("url: http://backtest.qm.internal\n", "url: https://API.alpaca.markets.#sim\n")
    )
    result = _check(repo)
    assert {("local", "api"), ("backtest", "ui")} <= {
        (f.path[1], f.path[3]) for f in result.findings if f.rule.id == "QM-SEP-009"
    }


def test_market_data_host_must_match_provider_and_feed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    paper = repo / "environments" / "paper.yaml"
    paper.write_text(paper.read_text().replace("wss://delayed.polygon.io/stocks", "wss://socket.polygon.io/delayed"))
    result = _check(repo)
    assert [f.rule.id for f in result.findings] == ["QM-SEP-010"]
    assert result.findings[0].file == "environments/paper.yaml"


def test_whitespace_in_a_url_is_refused_by_the_loader(tmp_path: Path, run_qm) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(tmp_path)
    paper = repo / "environments" / "paper.yaml"
    paper.write_text(
        paper.read_text().replace(
            "endpoint: https://paper-api.alpaca.markets", 'endpoint: "https://api.alpaca.markets paper"'
        )
    )
    result = run_qm("check", repo)
    assert result.code == 2 and "environments/paper.yaml" in result.err


@pytest.mark.parametrize(
    "raw",
    [
        "https://a\tb",
        "https://a\u202eb",
        "https://a\u200bb",
        "https://a\x00b",
        "https://a b",
        "https://x:0",
        "https://x:65536",
        "https://x:1:2",
        "https://[::1",
        "https://[zz]/",
        "https://a\u00a0b",
        "https://2130706433",
        "https://api..alpaca.markets",
        "https://.x.example",
        "https://-bad.example",
        "https://" + "a" * 64 + ".example",
        "noscheme.example",
        "https://",
        "https:///path",
    ],
)
def test_parser_refuses_ambiguous_urls(raw: str) -> None:
    parsed = parse_url(raw)
    assert parsed["valid"] is False and parsed["host"] == "" and parsed["problem"]


def test_parser_normalises_hosts() -> None:
    assert parse_url("HTTPS://Paper-API.Alpaca.Markets.:443/x?y#z")["authority"] == "paper-api.alpaca.markets:443"
    assert parse_url("https://[2001:DB8::0:1]:8443")["authority"] == "[2001:db8::1]:8443"
    assert parse_url("wss://Socket.Polygon.IO")["port"] == 443
    # IDNA maps ideographic dots and fullwidth letters to ASCII, as browsers do: the same host
    assert parse_url("https://api\u3002alpaca\uff0emarkets")["host"] == "api.alpaca.markets"
    assert parse_url("https://\uff41pi.alpaca.markets")["host"] == "api.alpaca.markets"
    assert re.fullmatch(r"xn--[a-z0-9-]+\.alpaca\.markets", parse_url("https://\u0430pi.alpaca.markets")["host"])
