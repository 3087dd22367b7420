"""Structured logs for long-running commands (`qm serve`, the reconcile loop).

`json`: one JSON object per line — `ts` (UTC, ISO 8601), `level`, `logger`, `msg`,
`environment` (when the record has one) and the event's own fields (`extra=`). `text`: the
same on one human line. Both are written through the resolver's `RedactingFilter`
(`runtime/secrets.py`: every value resolved in this process and every detector hit become
`<redacted>`), and the formatter redacts every string it emits once more, nested fields
included (the filter only sees top-level strings). A record can never break the one-line
framing: JSON escapes newlines; text escapes them as `\\n`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import IO, Any

from quantmatrix.runtime.secrets import RedactingFilter, redact

LOG_FORMATS = ("text", "json")
ROOT_LOGGER = "quantmatrix"
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "environment"}


def _clean(value: Any) -> Any:
    """JSON-ready and redacted: strings through `redact`, containers recursively, others as text."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return {redact(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    return redact(str(value))  # a SecretValue prints as <secret NAME>


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The object one line carries."""
    line: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    environment = getattr(record, "environment", None)
    if environment is not None:
        line["environment"] = environment
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_") and key not in line:
            line[key] = value
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        line["error"] = record.exc_text
    cleaned: dict[str, Any] = _clean(line)
    return cleaned


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record), separators=(",", ":"), default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record)
        head = f"{fields.pop('ts')} {fields.pop('level'):<7} {fields.pop('logger')}: {fields.pop('msg')}"
        tail = " ".join(
            f"{k}={json.dumps(v, default=str) if not isinstance(v, str) or ' ' in v else v}" for k, v in fields.items()
        )
        line = f"{head} {tail}" if tail else head
        return line.replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(log_format: str, stream: IO[str], level: int = logging.INFO) -> logging.Handler:
    """One handler on the `quantmatrix` logger writing `log_format` lines to `stream`, behind a
    `RedactingFilter`. Returns the handler (remove it with `logger.removeHandler`)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(ROOT_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(min(level, logger.level or level))
    return handler
