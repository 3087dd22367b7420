"""`/health`: what each component says about itself, and the API's aggregate view.

Each process reports itself (version, mode, configuration version, status). The API is
started with its peers' URLs (`--peer workers=URL --peer ui=URL`) and folds their reports
into its own, the way the real API reads the workers' heartbeats: one `/health` of the API
shows every component. A peer that does not answer in time is reported `missing`.
"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from quantmatrix.sandbox.faults import SUBSYSTEMS
from quantmatrix.sandbox.state import Sandbox

ORDER = {"healthy": 0, "progressing": 1, "degraded": 2, "missing": 3}
_FAULT_SUBSYSTEM = {"stale_prices": "market_data", "broker_disconnected": "broker", "risk_manager_down": "risk_manager"}
_FAULT_MESSAGE = {
    "stale_prices": ("degraded", "prices are stale: last tick 600 s ago"),
    "broker_disconnected": ("missing", "execution broker disconnected"),
    "risk_manager_down": ("missing", "risk manager not answering"),
}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: ORDER.get(s, 3), default="healthy")


def own_report(sandbox: Sandbox) -> dict[str, Any]:
    """This process's report: its identity, status, trading state and subsystems."""
    config, faults = sandbox.config, sandbox.faults
    status, message = "healthy", "ok"
    if sandbox.clock() - sandbox.started < config.warmup_seconds:
        status, message = "progressing", "warming up"
    trading: dict[str, Any] = {"state": None}
    if sandbox.trades:
        control = sandbox.control()
        if control.state is None:
            status, message = "degraded", f"not trading: {control.problem}"
            trading = {"state": None, "problem": control.problem}
        else:
            trading = {
                "state": control.trading,
                "reason": control.state.reason,
                "control_version": control.state.version,
                "config_version": control.state.config_version,
            }
            if control.mode != config.mode:
                status, message = (
                    "degraded",
                    f"not trading: control state is for mode '{control.mode}', this process runs '{config.mode}'",
                )
    unhealthy = faults.get("unhealthy")
    if unhealthy == "":  # the whole component
        status, message = "degraded", "injected fault: unhealthy"
    report: dict[str, Any] = {
        "component": config.component,
        "version": faults.get("wrong_version") or config.version,
        "mode": faults.get("wrong_mode") or config.mode,
        "config_version": config.config_version or (trading.get("config_version") or ""),
        "status": status,
        "message": message,
        "trading": trading,
    }
    if config.component == "workers":
        report["subsystems"] = _subsystems(sandbox, status, message)
        report["status"] = worst([status, *(s["status"] for s in report["subsystems"].values())])
    return report


def _subsystems(sandbox: Sandbox, status: str, message: str) -> dict[str, dict[str, Any]]:
    subsystems: dict[str, dict[str, Any]] = {name: {"status": status, "message": message} for name in SUBSYSTEMS}
    subsystems["market_data"]["last_tick_age_seconds"] = 0.5
    unhealthy = sandbox.faults.get("unhealthy")
    if unhealthy:
        subsystems[unhealthy] = {"status": "degraded", "message": f"injected fault: {unhealthy} unhealthy"}
    for fault, subsystem in _FAULT_SUBSYSTEM.items():
        if sandbox.faults.get(fault) is not None:
            state, text = _FAULT_MESSAGE[fault]
            subsystems[subsystem] = {"status": state, "message": text}
    if sandbox.faults.get("stale_prices") is not None:
        subsystems["market_data"]["last_tick_age_seconds"] = 600.0
    return subsystems


def health_document(sandbox: Sandbox) -> dict[str, Any]:
    """The `/health` answer. For the API: every component, peers included."""
    report = own_report(sandbox)
    if sandbox.config.component != "api":
        return report
    components: dict[str, dict[str, Any]] = {"api": _summary(report)}
    peers = sandbox.config.peers
    if peers:
        with ThreadPoolExecutor(max_workers=len(peers)) as pool:
            answers = dict(zip(peers, pool.map(lambda url: _fetch(url, sandbox.config.peer_timeout), peers.values())))
    else:
        answers = {}
    for name in ("workers", "ui"):
        peer = answers.get(name)
        if isinstance(peer, str) or peer is None:
            problem = peer or f"no {name} peer configured (start the API with --peer {name}=URL)"
            components[name] = {"status": "missing", "message": problem}
            if name == "workers":
                components.update({s: {"status": "missing", "message": problem} for s in SUBSYSTEMS})
            continue
        components[name] = _summary(peer)
        if name == "workers":
            subsystems = peer.get("subsystems")
            for s in SUBSYSTEMS:
                entry = subsystems.get(s) if isinstance(subsystems, dict) else None
                components[s] = (
                    dict(entry)
                    if isinstance(entry, dict)
                    else {"status": "missing", "message": "not reported by workers"}
                )
    report["components"] = components
    return report


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {key: report.get(key) for key in ("status", "message", "version", "mode", "config_version")}


# peers are on loopback: never through a proxy from the environment (http_proxy, ...)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _fetch(base_url: str, timeout: float) -> dict[str, Any] | str:
    """A peer's report, or why there is none."""
    try:
        with _OPENER.open(
            base_url.rstrip("/") + "/health", timeout=timeout
        ) as answer:  # loopback only, checked at start
            body = json.loads(answer.read(65536))
    except urllib.error.HTTPError as error:  # 503 still carries the report
        try:
            body = json.loads(error.read(65536))
        except ValueError:
            return f"{base_url} answered HTTP {error.code} without a report"
    except (OSError, ValueError) as error:
        return f"{base_url} did not answer within {timeout:g} s ({type(error).__name__})"
    if not isinstance(body, dict) or body.get("status") not in ORDER:
        return f"{base_url} answered something that is not a health report"
    return body
