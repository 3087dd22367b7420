"""docs/alerts.yaml: a Prometheus rules file whose alerts cover the obvious failures and whose
expressions name only series the reconciler exports (a renamed metric breaks this test)."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

from quantmatrix.observability.metrics import Metrics

RULES = Path(__file__).resolve().parents[2] / "docs" / "alerts.yaml"


def _rules() -> dict[str, dict[str, object]]:
    document = YAML(typ="safe").load(RULES.read_text())
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    return {rule["alert"]: rule for rule in rules}


def test_the_expected_alerts_exist_with_severity_and_summary() -> None:
    rules = _rules()
    assert {
        "QMReconcilerDown",
        "QMEnvironmentOutOfSync",
        "QMTradingHalted",
        "QMDriftStorm",
        "QMDeploymentsFailing",
    } <= set(rules)
    for name, rule in rules.items():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, name
        assert rule["labels"]["severity"] in ("warning", "critical"), name  # type: ignore[index]
        assert rule["annotations"]["summary"], name  # type: ignore[index]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", str(rule["for"])), name


def test_expressions_use_the_exported_series_and_labels() -> None:
    rules = _rules()
    exported = {family.name for family in Metrics().registry.collect()}  # counters without the _total suffix
    names = set()
    for rule in rules.values():
        names |= set(re.findall(r"\bqm_[a-z_]+", str(rule["expr"])))
    assert names, "no qm_ series referenced"
    for name in names:
        assert name in exported or name.removesuffix("_total") in exported, f"{name} is not exported"
    assert 'up{job="qm"} == 0' in str(rules["QMReconcilerDown"]["expr"]) and "absent(" in str(
        rules["QMReconcilerDown"]["expr"]
    )
    assert str(rules["QMEnvironmentOutOfSync"]["expr"]).strip() == "qm_environment_in_sync == 0"
    assert 'state="HALTED"' in str(rules["QMTradingHalted"]["expr"])
    assert "qm_drift_detected_total" in str(rules["QMDriftStorm"]["expr"])
    assert "qm_deployments_total" in str(rules["QMDeploymentsFailing"]["expr"]) and "failed" in str(
        rules["QMDeploymentsFailing"]["expr"]
    )
