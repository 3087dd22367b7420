"""Structured logs: one JSON object per line with the documented fields, and a canary secret
resolved in this process never reaching a line, wherever it hides in the record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from quantmatrix.observability.logs import ROOT_LOGGER, configure_logging


@pytest.fixture
def capture() -> Iterator[Callable[[str], io.StringIO]]:
    handlers: list[logging.Handler] = []

    def start(fmt: str) -> io.StringIO:
        stream = io.StringIO()
        handlers.append(configure_logging(fmt, stream))
        return stream

    yield start
    for handler in handlers:
        logging.getLogger(ROOT_LOGGER).removeHandler(handler)


def test_one_json_object_per_line_with_the_documented_fields(capture: Callable[[str], io.StringIO]) -> None:
    stream = capture("json")
    log = logging.getLogger("quantmatrix.reconcile.loop")
    log.warning(
        "drift in %s\nsecond line",
        "paper",
        extra={"environment": "paper", "event": "drift_detected", "changes": [{"subject": "trading"}]},
    )
    log.info("pass done", extra={"duration_seconds": 0.012, "result": "noop"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "quantmatrix.reconcile.loop"
    assert first["msg"] == "drift in paper\nsecond line"  # escaped inside the JSON: still one line
    assert (
        first["environment"] == "paper"
        and first["event"] == "drift_detected"
        and first["changes"] == [{"subject": "trading"}]
    )
    assert first["ts"].endswith("Z") and first["ts"][:2] == "20"
    assert second["duration_seconds"] == 0.012 and second["result"] == "noop" and "environment" not in second


def test_the_canary_never_reaches_a_log_line(
    capture: Callable[..., io.StringIO], make_canary: Callable[..., object]
) -> None:
    canary = make_canary(mode="local", url=True)
    secret = canary.resolve()  # type: ignore[attr-defined]
    value = secret.reveal()
    json_stream, text_stream = capture("json"), capture("text")
    log = logging.getLogger("quantmatrix.statuspage")
    log.error(
        "connecting to %s failed",
        value,
        extra={"environment": "local", "url": value, "nested": {"deep": [value, {"k": value}]}, "obj": secret},
    )
    try:
        raise RuntimeError(f"cannot reach {value}")
    except RuntimeError:
        log.exception("pass failed")
    canary.assert_absent(json_stream.getvalue(), text_stream.getvalue(), where="logs")  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in json_stream.getvalue().splitlines()]
    assert "<redacted>" in lines[0]["msg"] and lines[0]["nested"]["deep"] == ["<redacted>", {"k": "<redacted>"}]
    assert lines[0]["obj"] == f"<secret {secret.name}>"
    assert "RuntimeError" in lines[1]["error"] and "<redacted>" in lines[1]["error"]
    assert len(text_stream.getvalue().splitlines()) == 2  # the traceback stays inside its line in text too


def test_text_format_is_one_line_per_record(capture: Callable[[str], io.StringIO]) -> None:
    stream = capture("text")
    logging.getLogger("quantmatrix.x").warning(
        "a\nforged 2026-01-01 INFO line", extra={"environment": "local", "reason": "two words"}
    )
    (line,) = stream.getvalue().splitlines()
    assert "a\\nforged" in line and "environment=local" in line and 'reason="two words"' in line


def test_unknown_format_refused() -> None:
    with pytest.raises(ValueError):
        configure_logging("xml", io.StringIO())
