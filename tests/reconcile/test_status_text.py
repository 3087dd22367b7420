"""`qm status ENV` as people read it: times to the second (the JSON keeps the microseconds)."""

from __future__ import annotations

from quantmatrix.reconcile.render import status_text


def _doc(finished: str | None) -> dict[str, object]:
    return {
        "environment": "paper",
        "mode": "paper",
        "in_sync": True,
        "drift": [],
        "desired": {"release": "2026.12.0", "config_version": "f5f6623c34e8d8ab"},
        "running": {"release": "2026.12.0", "config_version": "f5f6623c34e8d8ab", "components": {}},
        "trading": {"state": "ACTIVE", "reason": "validated"},
        "last_deployment": {
            "id": "dep-paper-2026.12.0-1",
            "status": "succeeded" if finished else "running",
            "started_at": "2026-11-30T22:30:06.415238Z",
            "finished_at": finished,
        },
        "monitoring_until": "2026-12-01T21:00:00.000001Z",
    }


def test_times_are_shown_to_the_second() -> None:
    text = status_text(_doc("2026-11-30T22:30:15.562836Z"))
    assert "started 2026-11-30T22:30:06Z finished 2026-11-30T22:30:15Z" in text
    assert "monitoring window until 2026-12-01T21:00:00Z" in text


def test_a_deployment_still_running_has_no_finish_time() -> None:
    assert "started 2026-11-30T22:30:06Z finished -" in status_text(_doc(None))
