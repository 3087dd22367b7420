"""What the page shows of one environment: `qm status`'s document plus the banner, the last
deployments and the open incidents — made inert (redacted, no control or bidi character)
before it leaves the process.

"Open" incidents: those recorded after the last successful deployment finished (a succeeded
deployment closes what came before it); an environment never deployed successfully shows all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quantmatrix.errors import QMError
from quantmatrix.runtime.secrets import redact
from quantmatrix.sandbox.banner import banner_words

RECENT_DEPLOYMENTS = 5
MAX_INCIDENTS = 10
MAX_TEXT = 500
# Controls (C0, C1), zero-width and bidi characters, line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]")


def inert(value: Any) -> Any:
    """Every string of a JSON-like value redacted, cut to `MAX_TEXT`, unsafe characters as visible escapes."""
    if isinstance(value, str):
        text = redact(value)
        text = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
        return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if isinstance(value, dict):
        return {inert(str(k)): inert(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inert(v) for v in value]
    return value


def _when(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def environment_page(root: str | Path, name: str) -> dict[str, Any]:
    """One environment's page document, read fresh from its running system. Anything that
    cannot be read (no store yet, a service down, a bad secret) is shown, never raised."""
    from quantmatrix.reconcile.apply import desired_of
    from quantmatrix.reconcile.connect import connect
    from quantmatrix.reconcile.status import environment_status
    from quantmatrix.repo.loader import load
    from quantmatrix.runtime.store.deployments import deployment_history, last_deployment
    from quantmatrix.runtime.store.events import list_incidents

    try:
        state = load(root)
        connected = connect(state, name, root, create=False)
    except QMError as error:
        return unreadable(name, str(error))
    try:
        spec = connected.environment.spec
        doc = environment_status(desired_of(state, connected, None), connected)
        doc["banner"] = {"mode": spec.mode.value, "text": banner_words(spec.mode.value, spec.ui.banner)}
        doc["deployments"], doc["incidents"] = [], []
        if connected.store is not None:
            history = deployment_history(connected.store, name, limit=RECENT_DEPLOYMENTS)
            doc["deployments"] = [{"id": d.id, "release": d.release, "status": d.status, "started_at": _when(d.started_at), "finished_at": _when(d.finished_at)} for d in history]
            good = last_deployment(connected.store, name, "succeeded")
            since = good.finished_at if good is not None else None
            opened = [i for i in list_incidents(connected.store, name) if since is None or i.at > since]
            doc["incidents"] = [{"at": _when(i.at), "severity": i.severity, "kind": i.kind, "summary": i.summary} for i in opened[-MAX_INCIDENTS:]]
    except QMError as error:
        return unreadable(name, str(error))
    except Exception as error:  # noqa: BLE001 - a page must keep serving the other environments
        return unreadable(name, f"{type(error).__name__} while reading the running system")
    finally:
        connected.close()
    result: dict[str, Any] = inert(doc)
    return result


def unreadable(name: str, why: str) -> dict[str, Any]:
    """Fail closed: not in sync, trading unknown (not trading)."""
    result: dict[str, Any] = inert({"environment": name, "error": why.splitlines()[0] if why else "unreadable", "in_sync": False,
                                    "trading": {"state": None, "reason": "unknown: the running system could not be read"}})
    return result


def pages(root: str | Path, names: Sequence[str]) -> list[dict[str, Any]]:
    return [environment_page(root, name) for name in names]
