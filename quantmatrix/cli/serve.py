"""`qm serve`: the status page, `/api/status` and `/metrics`, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import click

from quantmatrix.cli.logopts import log_format_option, start_logging
from quantmatrix.cli.output import echo


@click.command()
@click.argument("environments", nargs=-1, metavar="[ENV]...")
@click.option(
    "--path",
    "path",
    default=".",
    type=click.Path(file_okay=False, dir_okay=True),
    show_default=True,
    help="The repository.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8088, show_default=True, help="0: a free port (printed)."
)
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option(
    "--halt-token-env",
    metavar="VAR",
    default=None,
    help="Enable the halt action: the bearer token is read from this environment variable (at least 16 characters).",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.05, 60),
    default=0.25,
    show_default=True,
    help="Seconds between two readings of the running system.",
)
@log_format_option
def serve(
    environments: tuple[str, ...],
    path: str,
    port: int,
    bind: str,
    halt_token_env: str | None,
    interval: float,
    log_format: str,
) -> None:
    """Serve the status page of ENV (default: every environment of the repository): mode banner,
    desired vs running, drift, trading state, components, deployments, incidents, monitoring
    window; `/api/status` (JSON) and `/metrics` (Prometheus). Read-only unless --halt-token-env.
    Exit 0 on SIGTERM/Ctrl-C, 2 invalid input, 3 the port cannot be bound."""
    import logging

    from quantmatrix.errors import ConfigError, Problem, RuntimeUnavailable
    from quantmatrix.reconcile.connect import environment_of
    from quantmatrix.runtime.secrets import SecretValue
    from quantmatrix.statuspage.server import MIN_TOKEN, StatusApp, make_status_server
    from quantmatrix.statuspage.source import RepoSource
    from quantmatrix.usecases.load import load_state

    state = load_state(path).state
    names = environments or tuple(sorted(state.environments))
    for name in names:
        environment_of(state, name)  # an unknown name is exit 2 here, not an error row later
    token: SecretValue | None = None
    if halt_token_env is not None:
        value = os.environ.get(halt_token_env, "")
        if len(value) < MIN_TOKEN:
            raise ConfigError(
                Problem(
                    subject="--halt-token-env",
                    message=f"environment variable {halt_token_env} must hold a token of at least {MIN_TOKEN} characters",
                )
            )
        token = SecretValue(halt_token_env, value)
    start_logging(log_format)
    app = StatusApp(RepoSource(path, names), halt_token=token, poll_interval=interval)
    try:
        server = make_status_server(app, bind, port)
    except OSError as error:
        raise RuntimeUnavailable(
            Problem(subject=f"{bind}:{port}", message=f"cannot listen: {error.strerror or error}")
        ) from None
    app.start()
    host, bound = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    echo(
        f"status page on http://{shown}:{bound}/ ({len(names)} environments; halt {'enabled' if token else 'disabled'})"
    )
    logging.getLogger("quantmatrix.statuspage").info(
        "serving", extra={"event": "serving", "address": f"{shown}:{bound}", "environments": list(names)}
    )

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.stop()
