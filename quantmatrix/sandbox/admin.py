"""Client side of the admin routes (`qm sandbox fault`): loopback URLs only."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

from quantmatrix.errors import ConfigError, Problem, RuntimeUnavailable


def send_fault(url: str, fault: str | None, *, clear: bool = False, reset: bool = False, timeout: float = 5.0) -> str:
    """Add FAULT, clear faults, reset, or (none of those) list them; the answer as JSON text."""
    split = urlsplit(url)
    if split.scheme != "http" or split.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            Problem(subject="URL", message="the sandbox's admin routes are on http://127.0.0.1:PORT only")
        )
    if sum(map(bool, (fault, clear, reset))) > 1:
        raise ConfigError(Problem(subject="qm sandbox fault", message="give one of FAULT, --clear, --reset"))
    base = f"http://{split.netloc}"
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:  # loopback: no proxy from the environment
            if reset:
                answer = client.post(f"{base}/_sandbox/reset", json={})
            elif clear:
                answer = client.delete(f"{base}/_sandbox/faults")
            elif fault:
                answer = client.post(f"{base}/_sandbox/faults", json={"fault": fault})
            else:
                answer = client.get(f"{base}/_sandbox/faults")
    except httpx.HTTPError as error:
        raise RuntimeUnavailable(
            Problem(subject=base, message=f"the sandbox does not answer ({type(error).__name__})")
        ) from None
    try:
        body = answer.json()
    except ValueError:
        raise RuntimeUnavailable(
            Problem(subject=base, message=f"HTTP {answer.status_code} and no JSON: is this a sandbox?")
        ) from None
    if answer.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        raise ConfigError(Problem(subject=base, message=str(message or f"HTTP {answer.status_code}")))
    return json.dumps(body, sort_keys=True)
