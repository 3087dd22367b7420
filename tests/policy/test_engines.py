"""Engines: the embedded interpreter and an OPA server give identical findings.

The OPA side runs against `fake_opa.py`, a local HTTP server speaking the subset of OPA's
REST API the client uses and evaluating with regorus — it stands in for a real OPA binary,
which cannot be installed here (the GitHub workflow runs the real one as a service).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from quantmatrix.errors import PolicyError, RuntimeUnavailable
from quantmatrix.policy.engines import ENGINES
from quantmatrix.policy.gate import run_check
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source


def both(root: Path, url: str, **options):
    source = open_source(root)
    state = load_source(source)
    embedded = run_check(state, source=source, today="2026-12-01", **options)
    opa = run_check(state, source=source, engine="opa", opa_url=url, today="2026-12-01", **options)
    return embedded, opa


def assert_identical(embedded, opa) -> None:
    assert embedded.findings == opa.findings
    assert embedded.waived == opa.waived
    assert embedded.rules == opa.rules
    assert (embedded.engine, opa.engine) == ("embedded", "opa")


def test_the_registry_lists_both_engines():
    assert sorted(ENGINES) == ["embedded", "opa"]
    assert all(callable(module.evaluate) for module in ENGINES.values())


def test_identical_findings_on_the_fixture_pack(repo: Path, fake_opa):
    embedded, opa = both(repo, fake_opa.url, change={"risk_raised": ["paper"]})
    assert {f.rule.id for f in embedded.findings} == {"QM-FIX-001", "QM-FIX-002", "QM-FIX-003"}
    assert_identical(embedded, opa)
    methods = [m for m, _ in fake_opa.opa.requests]
    assert methods.count("POST") == 1  # one query for every rule of the pack
    assert ("PUT", "/v1/data/qm/settings") in fake_opa.opa.requests


def _variant(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


# Edits of the sample repository that stay valid YAML for the loader but break guide rules.
VARIANTS = {
    "sample": [],
    "live-loss-raised": [("environments/live.yaml", "max_daily_loss: 1500", "max_daily_loss: 250000")],
    "paper-uses-live-secret": [
        ("environments/paper.yaml", "{secret: QM_PAPER_REDIS_URL}", "{secret: QM_LIVE_REDIS_URL}")
    ],
    "live-unblocked": [
        ("environments/live.yaml", "blocked_symbols: [GME, AMC, BBBYQ, MULN, FFIE]", "blocked_symbols: []")
    ],
    "base-goes-live": [("environments/_base.yaml", "routes_live_orders: false", "routes_live_orders: true")],
    "ui-banner-lies": [("environments/paper.yaml", "banner:", "banner: LIVE TRADING #")],
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_identical_findings_on_the_real_pack_and_broken_samples(real_repo: Path, fake_opa, variant: str):
    for edit in VARIANTS[variant]:
        _variant(real_repo, *edit)
    try:
        load_source(open_source(real_repo))
    except Exception as error:  # the loader refuses it: nothing for the engines to compare
        pytest.skip(f"variant rejected by the loader: {error}")
    embedded, opa = both(real_repo, fake_opa.url)
    assert_identical(embedded, opa)
    if variant != "sample":
        assert embedded.findings, f"the pack says nothing about {variant}"


def test_findings_of_a_removed_policy_file_do_not_linger_on_the_server(repo: Path, fake_opa):
    (repo / "policies" / "extra.rego").write_text(
        "# METADATA\n# title: T\n# custom:\n#   id: QM-EXTRA-001\n#   severity: deny\n#   guide: x\n"
        'package qm.rules.extra\n\ndeny contains {"id": "QM-EXTRA-001", "msg": "extra", "path": []}\n'
    )
    embedded, opa = both(repo, fake_opa.url)
    assert "QM-EXTRA-001" in {f.rule.id for f in opa.findings}
    (repo / "policies" / "extra.rego").unlink()
    embedded, opa = both(repo, fake_opa.url)
    assert "QM-EXTRA-001" not in {f.rule.id for f in opa.findings}
    assert_identical(embedded, opa)
    assert "qm/policies/extra.rego" not in fake_opa.opa.policies


def test_a_policy_the_server_refuses_is_reported_at_its_file_and_line(repo: Path, fake_opa):
    (repo / "policies" / "broken.rego").write_text(
        "package qm.rules.broken\n\nimport rego.v1\n\ndeny contains f if { 1 = }\n"
    )
    source = open_source(repo)
    with pytest.raises(PolicyError) as caught:
        run_check(load_source(source), source=source, engine="opa", opa_url=fake_opa.url)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.col) == ("policies/broken.rego", 5, 24)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_server_is_unavailable_not_a_pass(repo: Path):
    source = open_source(repo)
    with pytest.raises(RuntimeUnavailable) as caught:
        run_check(load_source(source), source=source, engine="opa", opa_url=f"http://127.0.0.1:{_closed_port()}")
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(("url", "message"), [(None, "needs --opa-url"), ("ftp://opa:8181", r"not an http\(s\) URL")])
def test_the_opa_engine_needs_a_usable_url(repo: Path, url, message: str):
    source = open_source(repo)
    with pytest.raises(PolicyError, match=message):
        run_check(load_source(source), source=source, engine="opa", opa_url=url)
