"""The loop's events (the `LoopEvents` protocol of reconcile/loop_events.py) as metrics."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from quantmatrix.observability.loop_metrics import MetricsEvents
from quantmatrix.observability.metrics import Metrics


@dataclass(frozen=True)
class Drift:  # the shape of reconcile.loop_events.DriftEvent
    environment: str
    kind: str
    subject: str
    before: str = ""
    after: str = ""
    action: str = "reported"


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def test_a_pass_a_drift_a_halt_and_a_deployment_move_their_series() -> None:
    metrics = Metrics()
    events = MetricsEvents(metrics, clock=lambda: 1_790_000_123.0)
    events.pass_started("paper")
    events.pass_finished("paper", "in_sync", 0.004, "")
    assert _value(metrics, "qm_reconcile_total", result="in_sync") == 1
    assert _value(metrics, "qm_environment_in_sync", environment="paper") == 1

    events.drift_detected(Drift("paper", "safety", "risk.max_order_notional", "10000", "99999", "corrected"))
    events.drift_detected(Drift("paper", "weird", "component.api"))  # not a loop kind: classified by subject
    assert _value(metrics, "qm_drift_detected_total", environment="paper", kind="safety") == 1
    assert _value(metrics, "qm_drift_detected_total", environment="paper", kind="services") == 1
    assert _value(metrics, "qm_environment_in_sync", environment="paper") == 0

    events.trading_changed("paper", "HALTED", "drift: trading")
    assert _value(metrics, "qm_trading_state", environment="paper", state="HALTED") == 1
    assert _value(metrics, "qm_trading_state", environment="paper", state="ACTIVE") == 0

    events.deployment("paper", None, "failed")
    assert (
        _value(metrics, "qm_last_apply_timestamp_seconds", environment="paper") is None
    )  # only a successful apply sets it
    events.deployment("paper", "dep-paper-1", "succeeded")
    events.pass_finished("paper", "applied", 42.0, "dep-paper-1")
    assert _value(metrics, "qm_deployments_total", environment="paper", result="failed") == 1
    assert _value(metrics, "qm_deployments_total", environment="paper", result="succeeded") == 1
    assert _value(metrics, "qm_last_apply_timestamp_seconds", environment="paper") == 1_790_000_123.0
    assert _value(metrics, "qm_reconcile_duration_seconds_count") == 2
    assert _value(metrics, "qm_environment_in_sync", environment="paper") == 1

    events.degraded("paper", "Redis unreachable")
    assert _value(metrics, "qm_environment_in_sync", environment="paper") == 0
    events.degraded(None, "git fetch failed")  # the loop itself: no environment label
