"""The reconciler's Prometheus series: names and labels as documented, an own registry, and
label values that a hostile name cannot grow or inject into."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from quantmatrix.observability.metrics import MAX_ENVIRONMENTS, LabelRefused, Metrics, drift_kind


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, parsed back by the official parser."""
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_every_documented_series_with_its_labels() -> None:
    m = Metrics()
    m.observe_pass(0.02, "in_sync")
    m.observe_pass(3.0, "applied")
    m.drift_detected("paper", "safety")
    m.trading_state("paper", "HALTED")
    m.deployment("paper", "succeeded")
    m.apply_finished("paper", 1_790_000_000.5)
    m.environment_in_sync("paper", False)
    s = samples(m)
    assert s[("qm_reconcile_duration_seconds_count", ())] == 2
    assert s[("qm_reconcile_duration_seconds_bucket", (("le", "0.025"),))] == 1  # the no-op pass
    assert s[("qm_reconcile_duration_seconds_sum", ())] == pytest.approx(3.02)
    assert s[("qm_reconcile_total", (("result", "in_sync"),))] == 1
    assert s[("qm_reconcile_total", (("result", "failed"),))] == 0  # every result exported from the start
    assert s[("qm_drift_detected_total", (("environment", "paper"), ("kind", "safety")))] == 1
    assert s[("qm_deployments_total", (("environment", "paper"), ("result", "succeeded")))] == 1
    assert s[("qm_last_apply_timestamp_seconds", (("environment", "paper"),))] == 1_790_000_000.5
    assert s[("qm_environment_in_sync", (("environment", "paper"),))] == 0


def test_trading_state_is_one_hot_and_unknown_when_unreadable() -> None:
    m = Metrics()
    m.trading_state("live", "ACTIVE")
    m.trading_state("live", "HALTED")
    states = {dict(k[1])["state"]: v for k, v in samples(m).items() if k[0] == "qm_trading_state"}
    assert states == {"ACTIVE": 0, "REDUCING": 0, "HALTED": 1, "UNKNOWN": 0}
    m.trading_state("live", None)
    m.trading_state("live", "SOMETHING")  # not a state: fail closed
    states = {dict(k[1])["state"]: v for k, v in samples(m).items() if k[0] == "qm_trading_state"}
    assert states == {"ACTIVE": 0, "REDUCING": 0, "HALTED": 0, "UNKNOWN": 1}


def test_status_documents_move_the_gauges_and_an_error_is_out_of_sync_unknown() -> None:
    m = Metrics()
    m.observe_status({"environment": "paper", "in_sync": True, "trading": {"state": "ACTIVE"}})
    m.observe_status(
        {"environment": "live", "error": "store unreachable", "in_sync": True, "trading": {"state": "ACTIVE"}}
    )
    s = samples(m)
    assert s[("qm_environment_in_sync", (("environment", "paper"),))] == 1
    assert s[("qm_environment_in_sync", (("environment", "live"),))] == 0
    assert s[("qm_trading_state", (("environment", "live"), ("state", "UNKNOWN")))] == 1
    assert s[("qm_trading_state", (("environment", "live"), ("state", "ACTIVE")))] == 0


@pytest.mark.parametrize(
    "name", ['paper"} 1\nqm_fake 1', "Paper", "paper\n", "", "a" * 64, "../live", "paper live", "é", "1paper"]
)
def test_a_hostile_environment_name_never_becomes_a_label(name: str) -> None:
    m = Metrics()
    with pytest.raises(LabelRefused):
        m.drift_detected(name, "safety")
    with pytest.raises(LabelRefused):
        m.trading_state(name, "ACTIVE")
    text = m.exposition().decode()
    assert "qm_fake" not in text and "environment=" not in text


def test_environments_are_capped_and_fixed_sets_fall_back() -> None:
    m = Metrics()
    for n in range(MAX_ENVIRONMENTS):
        m.environment_in_sync(f"env{n}", True)
    with pytest.raises(LabelRefused):
        m.environment_in_sync("one-too-many", True)
    m.environment_in_sync("env0", False)  # a known one still works
    m.observe_pass(1.0, "whatever")
    m.drift_detected("env1", "<script>")
    m.deployment("env1", "exploded")
    s = samples(m)
    assert s[("qm_reconcile_total", (("result", "failed"),))] == 1
    assert s[("qm_drift_detected_total", (("environment", "env1"), ("kind", "other")))] == 1
    assert s[("qm_deployments_total", (("environment", "env1"), ("result", "failed")))] == 1
    assert "<script>" not in m.exposition().decode() and "exploded" not in m.exposition().decode()


def test_drift_subjects_map_to_kinds() -> None:
    assert [drift_kind(s) for s in ("configuration", "migrations", "component.api", "trading", "mystery")] == [
        "config",
        "services",
        "services",
        "safety",
        "other",
    ]


def test_each_metrics_has_its_own_registry_not_the_global_one() -> None:
    a, b = Metrics(), Metrics()
    a.environment_in_sync("paper", True)
    assert ("qm_environment_in_sync", (("environment", "paper"),)) not in samples(b)
    assert REGISTRY.get_sample_value("qm_environment_in_sync", {"environment": "paper"}) is None
