"""The one home of secret detection and redaction for everything `qm` prints or writes.

The detectors are QM-CFG-002's: known credential formats and the high-entropy token screen,
defined once in the built-in pack's `quantmatrix/policies/settings.yaml` (`secret_scan`),
which the policy pack reads as `data.qm.settings.secret_scan` and this module reads from the
same file shipped with the tool (a repository's added formats are the gate's only). So a string the gate would deny is a string no output repeats. Messages should name
the field, never the value; this module is the net under that rule, applied where a value
becomes text (problems, findings, diff values, rendered documents, the terminal writer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

REDACTED = "<redacted>"
HIGH_ENTROPY = "a high-entropy token"
PEM = "a PEM private key or certificate"

# The built-in pack's settings: package data (quantmatrix/policy/builtin.py).
SETTINGS_FILE = Path(__file__).resolve().parent / "policies" / "settings.yaml"

# A match is widened to the whole token it sits in (a JWT's signature, an AWS key id's
# neighbours), so no tail of a secret survives next to the marker.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_~-]")  # not ".": a dotted path keeps its parent (params.<redacted>)
_PEM_END = re.compile(r"-----END[^\n-]*-----")
_CLASS_RUNS = re.compile(r"[a-z]+|[A-Z]+|[0-9]+|[+/=_-]+")


@dataclass(frozen=True)
class Detectors:
    formats: tuple[tuple[str, re.Pattern[str]], ...]
    token: re.Pattern[str]
    min_class_runs_ratio: float
    credential_key: re.Pattern[str]


def _load(path: Path) -> Detectors:
    from ruamel.yaml import YAML

    try:
        scan = YAML(typ="safe").load(path.read_text(encoding="utf-8"))["secret_scan"]
        formats = tuple((str(name), re.compile(str(rx))) for name, rx in scan["formats"].items())
        token = rf"[A-Za-z0-9+/=_-]{{{int(scan['min_token_length'])},}}"
        return Detectors(
            formats=formats,
            token=re.compile(token),
            min_class_runs_ratio=float(scan["min_class_runs_ratio"]),
            credential_key=re.compile(str(scan["credential_key"])),
        )
    except (OSError, KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
        # fail closed: without its detectors qm would print secrets, so it does not run
        raise RuntimeError(f"cannot read the secret detectors (secret_scan) from {path}: {exc}") from None


@lru_cache(maxsize=1)
def detectors() -> Detectors:
    """The detectors of the built-in pack's settings, read once."""
    return _load(SETTINGS_FILE)


def _high_entropy(token: str) -> bool:
    """QM-CFG-002's `high_entropy`: lower case, upper case and digits, changing class often."""
    if not (re.search("[a-z]", token) and re.search("[A-Z]", token) and re.search("[0-9]", token)):
        return False
    return len(_CLASS_RUNS.findall(token)) / len(token) >= detectors().min_class_runs_ratio


def _entropy_tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in detectors().token.finditer(text) if _high_entropy(m.group())]


def secret_kinds(text: str) -> frozenset[str]:
    """Names of the detectors that match `text` (e.g. "an AWS access key id")."""
    kinds = {name for name, rx in detectors().formats if rx.search(text)}
    if _entropy_tokens(text):
        kinds.add(HIGH_ENTROPY)
    return frozenset(kinds)


def looks_secret(text: str) -> bool:
    return bool(secret_kinds(text))


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _TOKEN_CHARS.match(text, start - 1):
        start -= 1
    while end < len(text) and _TOKEN_CHARS.match(text, end):
        end += 1
    return start, end


def _spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for name, rx in detectors().formats:
        for m in rx.finditer(text):
            start, end = _widen(text, *m.span())
            if name == PEM:  # the key body follows the header: up to the END line, or all of it
                tail = _PEM_END.search(text, m.end())
                end = tail.end() if tail else len(text)
            if end > start:
                spans.append((start, end))
    spans.extend(_widen(text, s, e) for s, e in _entropy_tokens(text))
    return spans


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span, overlapping spans merged, replaced by one marker."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:  # overlaps the span just replaced: extend it
            pos = max(pos, end)
            continue
        out += [text[pos:start], REDACTED]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_text(text: str) -> str:
    """`text` with each secret-looking span (widened to its whole token) replaced by
    `<redacted>`. Never returns a string the detectors still match: if replacing spans is not
    enough (a secret formed across a replacement), the whole text is redacted."""
    if not isinstance(text, str):
        raise TypeError(f"redact_text takes a str, not {type(text).__name__}")
    if len(text) <= _CACHED_LENGTH:
        return _redact_short(text)
    return _redact_spans(text)


_CACHED_LENGTH = 512  # names, paths and messages repeat across findings and formats


@lru_cache(maxsize=65536)
def _redact_short(text: str) -> str:
    return _redact_spans(text)


def _redact_spans(text: str) -> str:
    for _ in range(3):
        spans = _spans(text)
        if not spans:
            return text
        text = _replace(text, spans)
    return REDACTED if looks_secret(text) else text


def is_credential_key(key: object) -> bool:
    """A mapping key that names a credential (`db_password`, `auth_token`, `api_key`)."""
    return isinstance(key, str) and key != "secret" and bool(detectors().credential_key.search(key))


def _is_reference(value: object) -> bool:
    return isinstance(value, dict) and set(value) == {"secret"} and isinstance(value["secret"], str)


def _redact(value: object, credential: bool) -> object:
    if isinstance(value, str):
        return REDACTED if credential else redact_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return REDACTED if credential else value
    if isinstance(value, dict):
        if _is_reference(value):
            return {"secret": redact_text(value["secret"])}
        out: dict[Any, object] = {}
        for k, v in value.items():
            shown = redact_text(k) if isinstance(k, str) else k
            n = 1
            while shown in out:  # two keys redacted alike stay two keys: `<redacted> #2`
                n += 1
                shown = f"{redact_text(k)} #{n}"
            out[shown] = _redact(v, credential or is_credential_key(k))
        return out
    if isinstance(value, (list, tuple)):
        items = [_redact(v, credential) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    return value


def redact_value(value: object) -> object:
    """`value` with every string redacted, deeply: strings, mapping keys and values, lists and
    tuples. A literal held (at any depth) under a credential-named key (`db_password`) is
    `<redacted>` whatever it looks like; secret references (`{secret: NAME}`) stay, their
    name redacted only if it looks like a secret itself. Other types are returned as they are."""
    return _redact(value, False)


def redact_any(value: Any) -> Any:
    """`redact_value`, typed `Any` for callers that serialize the result (JSON, YAML)."""
    return _redact(value, False)


def redact_field(key: object, value: Any) -> Any:
    """`value` as it sits under mapping key `key` (the last element of its path): all of it
    redacted when `key` names a credential, else as `redact_value`."""
    return _redact(value, is_credential_key(key))
