"""The JSON report: a stable document with counts, findings, waived findings and rules."""

from __future__ import annotations

import json
import random

from quantmatrix import __version__
from quantmatrix.policy.formats import json as json_format


def test_document_has_summary_verdict_and_every_rule(check_result):
    doc = json.loads(json_format.render(check_result))
    assert doc["schema"] == "quantmatrix.io/check-result/v1"
    assert doc["tool"] == {"name": "qm", "version": __version__}
    assert (doc["source"], doc["engine"], doc["passed"], doc["fail_on_warn"]) == (".", "embedded", False, False)
    assert doc["summary"] == {"rules": 8, "denied": 7, "warnings": 1, "waived": 1}
    assert [r["id"] for r in doc["rules"]] == sorted(r.id for r in check_result.rules)
    assert doc["rules"][0] == {
        "id": "QM-CFG-002",
        "title": "Every referenced secret documented",
        "severity": "deny",
        "guide": "§6",
        "description": "",
        "file": "policies/configuration.rego",
        "line": 12,
    }


def test_findings_carry_rule_location_path_and_target(check_result):
    doc = json.loads(json_format.render(check_result))
    backtest = next(f for f in doc["findings"] if f["id"] == "QM-SEP-002")
    assert backtest == {
        "id": "QM-SEP-002",
        "title": "Backtest never routes live orders",
        "severity": "deny",
        "guide": "§3",
        "message": "backtest can route live orders: routes_live_orders is true",
        "file": "environments/backtest.yaml",
        "line": 14,
        "col": 5,
        "path": ["environments", "backtest", "spec", "execution", "routes_live_orders"],
        "target": "environment/backtest",
    }
    # denials before warnings
    assert [f["severity"] for f in doc["findings"]] == ["deny"] * 7 + ["warn"]


def test_waived_findings_are_listed_apart_with_their_waiver(check_result):
    doc = json.loads(json_format.render(check_result))
    assert all(f["message"] != "capital 250000 is above the first-release ceiling" for f in doc["findings"])
    (waived,) = doc["waived"]
    assert waived["id"] == "QM-CFG-010" and waived["target"] == "environment/live" and waived["line"] == 12
    assert waived["waiver"] == {
        "reason": "ramp approved by the risk committee",
        "approver": "ops-lead@quantmatrix.io",
        "expires": "2026-12-31",
        "file": "policies/waivers.yaml",
        "line": 4,
    }


def test_output_does_not_depend_on_the_order_findings_arrive_in(check_result, make_result, samples):
    shuffled = list(samples.FINDINGS)
    random.Random(7).shuffle(shuffled)
    assert json_format.render(make_result(tuple(shuffled), samples.WAIVED)) == json_format.render(check_result)


def test_non_ascii_is_kept_readable(check_result):
    assert '"guide": "§3"' in json_format.render(check_result)


def test_a_clean_result_passes(clean_result):
    doc = json.loads(json_format.render(clean_result))
    assert doc["passed"] is True and doc["findings"] == [] and doc["waived"] == []
