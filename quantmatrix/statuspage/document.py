"""What the page shows of one environment: `qm status`'s document plus the banner, the last
deployments and the open incidents — made inert (redacted, no control or bidi character)
before it leaves the process.

"Open" incidents: those recorded after the last successful deployment finished (a succeeded
deployment closes what came before it); an environment never deployed successfully shows all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quantmatrix.errors import QMError
from quantmatrix.render.inert import escape_controls
from quantmatrix.runtime.secrets import redact
from quantmatrix.sandbox.banner import banner_words

RECENT_DEPLOYMENTS = 5
MAX_INCIDENTS = 10
MAX_TEXT = 500


def inert(value: Any) -> Any:
    """Every string of a JSON-like value redacted (values resolved in this process and the
    detectors' hits), cut to `MAX_TEXT`, unsafe characters (controls, bidi, separators: the
    project's one definition, `render.inert`) as visible escapes."""
    if isinstance(value, str):
        text = redact(value)
        text = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
        return escape_controls(text)
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

    banner: dict[str, str] | None = None
    try:
        state = load(root)
        if name in state.environments:  # the banner even when the running system is unreadable
            spec = state.environments[name].spec
            banner = {"mode": spec.mode.value, "text": banner_words(spec.mode.value, spec.ui.banner)}
        connected = connect(state, name, root, create=False)
    except QMError as error:
        return unreadable(name, str(error), banner)
    try:
        doc = environment_status(desired_of(state, connected, None), connected)
        doc["banner"] = banner
        doc["deployments"], doc["incidents"] = [], []
        if connected.store is not None:
            history = deployment_history(connected.store, name, limit=RECENT_DEPLOYMENTS)
            doc["deployments"] = [
                {
                    "id": d.id,
                    "release": d.release,
                    "status": d.status,
                    "started_at": _when(d.started_at),
                    "finished_at": _when(d.finished_at),
                }
                for d in history
            ]
            good = last_deployment(connected.store, name, "succeeded")
            since = good.finished_at if good is not None else None
            opened = [i for i in list_incidents(connected.store, name) if since is None or i.at > since]
            doc["incidents"] = [
                {"at": _when(i.at), "severity": i.severity, "kind": i.kind, "summary": i.summary}
                for i in opened[-MAX_INCIDENTS:]
            ]
    except QMError as error:
        return unreadable(name, str(error), banner)
    except Exception as error:  # noqa: BLE001 - a page must keep serving the other environments
        return unreadable(name, f"{type(error).__name__} while reading the running system", banner)
    finally:
        connected.close()
    result: dict[str, Any] = inert(doc)
    return result


def unreadable(name: str, why: str, banner: dict[str, str] | None = None) -> dict[str, Any]:
    """Fail closed: not in sync, trading unknown (not trading)."""
    result: dict[str, Any] = inert(
        {
            "environment": name,
            "error": why.splitlines()[0] if why else "unreadable",
            "in_sync": False,
            "banner": banner,
            "trading": {"state": None, "reason": "unknown: the running system could not be read"},
        }
    )
    return result


def pages(root: str | Path, names: Sequence[str]) -> list[dict[str, Any]]:
    return [environment_page(root, name) for name in names]
