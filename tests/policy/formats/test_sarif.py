"""SARIF 2.1.0: valid against the OASIS schema and usable by GitHub code scanning."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from quantmatrix import __version__
from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta
from quantmatrix.policy.formats import sarif

HERE = Path(__file__).parent
SCHEMA_COPY = HERE / "sarif-schema-2.1.0.json"  # the OASIS schema, copied so CI needs nothing else
SHARED_SCHEMA = HERE.parents[2] / ".." / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_COPY.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def render(result) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(sarif.render(result))


def assert_valid(validator: jsonschema.Draft4Validator, doc: dict) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_schema_copy_is_the_shared_oasis_schema():
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"{SHARED_SCHEMA} is not beside this checkout: nothing to compare the copy with")
    assert SCHEMA_COPY.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_validates_against_the_oasis_schema(validator, check_result, clean_result, make_result, samples):
    strict = make_result(samples.FINDINGS, samples.WAIVED, fail_on_warn=True)
    for result in (check_result, clean_result, strict):
        assert_valid(validator, render(result))


def test_the_schema_check_is_real(validator, check_result):
    doc = render(check_result)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(doc))


def test_driver_lists_every_rule_of_the_pack_with_its_metadata(check_result):
    driver = render(check_result)["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("qm", __version__)
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == sorted(r.id for r in check_result.rules)
    backtest = next(r for r in driver["rules"] if r["id"] == "QM-SEP-002")
    assert backtest["name"] == "BacktestNeverRoutesLiveOrders"
    assert backtest["shortDescription"] == {"text": "Backtest never routes live orders"}
    assert backtest["fullDescription"] == {"text": "Backtest is simulated only."}
    assert "section §3" in backtest["help"]["text"] and "policies/separation.rego" in backtest["help"]["markdown"]
    assert backtest["defaultConfiguration"] == {"level": "error"}
    assert backtest["properties"]["guide"] == "§3"
    assert backtest["properties"]["security-severity"] == "8.0"
    assert backtest["properties"]["tags"] == ["security", "quantmatrix-policy", "guide-§3"]
    ceiling = next(r for r in driver["rules"] if r["id"] == "QM-CFG-010")
    assert ceiling["defaultConfiguration"] == {"level": "warning"}


def test_results_point_at_rule_level_and_yaml_line(check_result):
    run = render(check_result)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region.get("startColumn", 1) >= 1
    backtest = next(r for r in run["results"] if r["ruleId"] == "QM-SEP-002")
    assert backtest["level"] == "error"
    assert backtest["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "environments/backtest.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 14, "startColumn": 5},
            }
        }
    ]
    assert (
        next(r for r in run["results"] if r["ruleId"] == "QM-CFG-010" and "suppressions" not in r)["level"] == "warning"
    )


def test_fingerprints_follow_rule_target_and_path_not_the_line(samples):
    f = samples.FINDINGS[1]
    moved = dataclasses.replace(f, line=f.line + 10, col=1, message="reworded")
    other_path = dataclasses.replace(f, path=(*f.path[:-1], "endpoint"))
    assert sarif.fingerprint(f) == sarif.fingerprint(moved)
    assert sarif.fingerprint(f) != sarif.fingerprint(other_path)
    assert sarif.fingerprint(f) != sarif.fingerprint(dataclasses.replace(f, target="environment/other"))


def test_every_result_has_a_distinct_fingerprint(check_result):
    results = render(check_result)["runs"][0]["results"]
    prints = [r["partialFingerprints"][sarif.FINGERPRINT] for r in results]
    assert len(set(prints)) == len(prints) == 9


def test_waived_findings_are_suppressed_results(check_result):
    results = render(check_result)["runs"][0]["results"]
    (waived,) = [r for r in results if "suppressions" in r]
    assert waived["message"]["text"] == "capital 250000 is above the first-release ceiling"
    (suppression,) = waived["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert (
        suppression["justification"]
        == "ramp approved by the risk committee (approved by ops-lead@quantmatrix.io, expires 2026-12-31)"
    )
    assert suppression["location"]["physicalLocation"]["artifactLocation"]["uri"] == "policies/waivers.yaml"


def test_a_finding_without_a_yaml_position_points_at_its_rule(validator, make_result, samples):
    nowhere = Finding(samples.PINNED, "release history has a gap", (), "", 0, 0)
    doc = render(make_result((nowhere,)))
    assert_valid(validator, doc)
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "policies/releases.rego", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6},
    }


def test_a_rule_missing_from_the_pack_list_is_added_so_ruleIndex_holds(validator, make_result, samples):
    waiver_rule = RuleMeta(
        "QM-WAIVER-001", "Waivers are valid and unexpired", "deny", "", "", "policies/waivers.yaml", 0
    )
    expired = Finding(waiver_rule, "waiver for QM-CFG-010 expired on 2026-01-31", (), "policies/waivers.yaml", 4, 3)
    doc = render(make_result((expired,)))
    assert_valid(validator, doc)
    run = doc["runs"][0]
    (result,) = run["results"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "QM-WAIVER-001"


def test_tags_name_the_guide_section_without_its_free_text(samples):
    worded = dataclasses.replace(samples.GO_LIVE, guide="§9 live deployment preconditions")
    (rule,) = render(CheckResult(".", "embedded", (worded,), ()))["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["guide"] == "§9 live deployment preconditions"
    assert rule["properties"]["tags"] == ["security", "quantmatrix-policy", "guide-§9"]
