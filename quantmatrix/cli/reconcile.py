"""`qm reconcile [ENV…]`: the continuous reconciliation loop (or one pass with --once)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quantmatrix.cli.logopts import log_format_option, start_logging
from quantmatrix.cli.output import echo
from quantmatrix.errors import ConfigError, ExitCode, Problem, RuntimeUnavailable

if TYPE_CHECKING:
    from quantmatrix.observability.metrics import Metrics
    from quantmatrix.reconcile.loop_events import LoopEvents

_EXIT = {"refused": ExitCode.VIOLATIONS, "unavailable": ExitCode.UNAVAILABLE, "failed": ExitCode.DEPLOY_FAILED}


def _with_metrics(logging_events: LoopEvents, metrics: Metrics) -> LoopEvents:
    """The loop's events fanned out to the logs and the Prometheus series."""
    from quantmatrix.observability.loop_metrics import MetricsEvents
    from quantmatrix.reconcile.loop_events import FanOut

    return FanOut(logging_events, MetricsEvents(metrics))


def _env_secret(name: str | None, what: str) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError(Problem(subject=what, message=f"environment variable {name} is not set"))
    return value


@click.command()
@click.argument("environments", nargs=-1)
@click.option("--once", "mode", flag_value="once", help="One pass over every environment, then exit.")
@click.option("--watch", "mode", flag_value="watch", default=True, help="Keep reconciling until SIGTERM (default).")
@click.option(
    "--path", "path", default=".", type=click.Path(file_okay=False), help="The repository when not following a branch."
)
@click.option(
    "--repo", default=None, metavar="URL_OR_PATH", help="Follow this git repository (fetched into --workdir)."
)
@click.option("--branch", default=None, help="The branch of --repo to follow.")
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False),
    help="Private checkout of the followed branch (default .qm/reconcile/checkout).",
)
@click.option("--interval", default=30.0, type=click.FloatRange(0.1, 86400), help="Seconds between git fetches.")
@click.option(
    "--webhook-port",
    default=None,
    type=click.IntRange(0, 65535),
    help="Serve POST /hooks/git on 127.0.0.1:PORT (0: any free port).",
)
@click.option(
    "--webhook-secret-env",
    default="QM_WEBHOOK_SECRET",
    metavar="NAME",
    help="Variable holding the webhook's HMAC secret.",
)
@click.option(
    "--alert-url-env", default=None, metavar="NAME", help="Variable holding a URL that alerts are POSTed to (JSON)."
)
@click.option(
    "--status-port",
    default=None,
    type=click.IntRange(0, 65535),
    help="With --watch: serve the status page, /api/status and /metrics on 127.0.0.1:PORT (0: any free port).",
)
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@log_format_option
def reconcile(
    environments: tuple[str, ...],
    mode: str,
    path: str,
    repo: str | None,
    branch: str | None,
    workdir: str | None,
    interval: float,
    webhook_port: int | None,
    webhook_secret_env: str,
    alert_url_env: str | None,
    status_port: int | None,
    log_level: str,
    log_format: str,
) -> None:
    """Keep ENVIRONMENTS (default: all) as the desired state says: plan → apply under each
    environment's lock with every gate, drift in the control keys caught as it happens and
    healed by the environment's self_heal policy. Exit (--once): 0 done, 1 refused, 3 a
    service unavailable, 4 a deployment failed."""
    import logging
    import signal

    from quantmatrix.reconcile.heal import log_alert, webhook_alert
    from quantmatrix.reconcile.loop import LoopOptions, Reconciler
    from quantmatrix.reconcile.loop_events import LoggingEvents
    from quantmatrix.runtime.secrets import SecretValue, install_redaction

    # our logger at the level asked; libraries (httpx's per-request lines, alembic) at WARNING
    start_logging(log_format)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("quantmatrix").setLevel(getattr(logging, log_level))
    install_redaction()
    if (repo is None) != (branch is None):
        raise ConfigError(Problem(subject="--repo", message="--repo and --branch go together"))
    alert_url = _env_secret(alert_url_env, "--alert-url-env")
    options = LoopOptions(
        environments=environments,
        path=Path(path),
        repo=repo,
        branch=branch,
        workdir=Path(workdir) if workdir else None,
        interval=interval,
        alert=webhook_alert(alert_url) if alert_url else log_alert,
    )
    metrics: Metrics | None = None
    if status_port is not None:
        from quantmatrix.observability.metrics import Metrics

        metrics = Metrics()
    events: LoopEvents = LoggingEvents() if metrics is None else _with_metrics(LoggingEvents(), metrics)
    reconciler = Reconciler(options, events)
    if mode == "once":
        results = reconciler.run_once()
        for name, result in results.items():
            echo(f"{name}: {result}")
        worst = max((_EXIT.get(r, ExitCode.OK) for r in results.values()), default=ExitCode.OK)
        if worst != ExitCode.OK:
            sys.exit(int(worst))
        return
    server = None
    if webhook_port is not None:
        from quantmatrix.reconcile.webhook import WebhookServer

        secret = _env_secret(webhook_secret_env, "--webhook-secret-env")
        assert secret is not None
        server = WebhookServer(
            "127.0.0.1", webhook_port, SecretValue(webhook_secret_env, secret), reconciler.webhook_push
        )
        server.start()
        echo(f"webhook: POST http://127.0.0.1:{server.port}/hooks/git", err=True)
    page = None
    if metrics is not None and status_port is not None:
        from quantmatrix.statuspage.server import StatusApp, serve_in_background
        from quantmatrix.statuspage.source import FollowingSource

        def current() -> tuple[Path, tuple[str, ...]] | None:
            desired = reconciler.desired
            if desired is None:
                return None
            return desired.root, environments or tuple(sorted(desired.state.environments))

        app = StatusApp(FollowingSource(current), metrics=metrics, observe_metrics=False)
        try:
            page = (app, *serve_in_background(app, "127.0.0.1", status_port))
        except OSError as error:
            raise RuntimeUnavailable(
                Problem(subject=f"127.0.0.1:{status_port}", message=f"cannot listen: {error.strerror or error}")
            ) from None
        echo(f"status page: http://127.0.0.1:{page[1].server_address[1]}/ (metrics at /metrics)", err=True)
    signal.signal(signal.SIGTERM, lambda *_: reconciler.request_stop())
    signal.signal(signal.SIGINT, lambda *_: reconciler.request_stop())
    try:
        reconciler.run_forever()
    finally:
        if server is not None:
            server.stop()
        if page is not None:
            from quantmatrix.statuspage.server import stop_serving

            stop_serving(page[0], page[1])
    echo("reconciler stopped: locks released", err=True)
