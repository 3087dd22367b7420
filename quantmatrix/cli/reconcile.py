"""`qm reconcile [ENV…]`: the continuous reconciliation loop (or one pass with --once)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from quantmatrix.cli.output import echo
from quantmatrix.errors import ConfigError, ExitCode, Problem

_EXIT = {"refused": ExitCode.VIOLATIONS, "unavailable": ExitCode.UNAVAILABLE, "failed": ExitCode.DEPLOY_FAILED}


def _env_secret(name: str | None, what: str) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError(Problem(what, message=f"environment variable {name} is not set"))
    return value


@click.command()
@click.argument("environments", nargs=-1)
@click.option("--once", "mode", flag_value="once", help="One pass over every environment, then exit.")
@click.option("--watch", "mode", flag_value="watch", default=True, help="Keep reconciling until SIGTERM (default).")
@click.option("--path", "path", default=".", type=click.Path(file_okay=False), help="The repository when not following a branch.")
@click.option("--repo", default=None, metavar="URL_OR_PATH", help="Follow this git repository (fetched into --workdir).")
@click.option("--branch", default=None, help="The branch of --repo to follow.")
@click.option("--workdir", default=None, type=click.Path(file_okay=False), help="Private checkout of the followed branch (default .qm/reconcile/checkout).")
@click.option("--interval", default=30.0, type=click.FloatRange(0.1, 86400), help="Seconds between git fetches.")
@click.option("--webhook-port", default=None, type=click.IntRange(0, 65535), help="Serve POST /hooks/git on 127.0.0.1:PORT (0: any free port).")
@click.option("--webhook-secret-env", default="QM_WEBHOOK_SECRET", metavar="NAME", help="Variable holding the webhook's HMAC secret.")
@click.option("--alert-url-env", default=None, metavar="NAME", help="Variable holding a URL that alerts are POSTed to (JSON).")
@click.option("--log-level", default="INFO", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def reconcile(
    environments: tuple[str, ...], mode: str, path: str, repo: str | None, branch: str | None, workdir: str | None,
    interval: float, webhook_port: int | None, webhook_secret_env: str, alert_url_env: str | None, log_level: str,
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
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("quantmatrix").setLevel(getattr(logging, log_level))
    install_redaction()
    if (repo is None) != (branch is None):
        raise ConfigError(Problem("--repo", message="--repo and --branch go together"))
    alert_url = _env_secret(alert_url_env, "--alert-url-env")
    options = LoopOptions(
        environments=environments, path=Path(path), repo=repo, branch=branch, workdir=Path(workdir) if workdir else None,
        interval=interval, alert=webhook_alert(alert_url) if alert_url else log_alert,
    )
    reconciler = Reconciler(options, LoggingEvents())
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
        server = WebhookServer("127.0.0.1", webhook_port, SecretValue(webhook_secret_env, secret), reconciler.trigger_fetch)
        server.start()
        echo(f"webhook: POST http://127.0.0.1:{server.port}/hooks/git", err=True)
    signal.signal(signal.SIGTERM, lambda *_: reconciler.request_stop())
    signal.signal(signal.SIGINT, lambda *_: reconciler.request_stop())
    try:
        reconciler.run_forever()
    finally:
        if server is not None:
            server.stop()
    echo("reconciler stopped: locks released", err=True)
