"""`qm sandbox serve|fault`: run a sandbox component, inject a fault into a running one."""

from __future__ import annotations

import click

from quantmatrix.cli.output import echo
from quantmatrix.model.common import Mode
from quantmatrix.model.runtime import COMPONENTS

MODES = [mode.value for mode in Mode]


@click.group()
def sandbox() -> None:
    """The sandbox platform: a real HTTP stand-in for QuantMatrix (api, workers, ui)."""


@sandbox.command()
@click.option("--component", type=click.Choice(COMPONENTS), required=True)
@click.option("--version", "version", required=True, help="The version this process reports.")
@click.option("--mode", type=click.Choice(MODES), required=True, help="The mode it is configured for.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: a free port (printed on stdout)."
)
@click.option("--config-version", default="", help="Content hash of the configuration it was deployed with.")
@click.option("--banner", default="", help="UI banner (default: the mode's, e.g. 'PAPER TRADING').")
@click.option("--account", default="sandbox-dry-run", show_default=True)
@click.option("--peer", "peers", multiple=True, metavar="NAME=URL", help="api only: workers=URL, ui=URL (loopback).")
@click.option("--peer-timeout", type=click.FloatRange(0.05, 10), default=0.5, show_default=True)
@click.option(
    "--warmup", type=click.FloatRange(0, 600), default=0.0, help="Report 'progressing' this many seconds after start."
)
@click.option(
    "--redis-url",
    envvar="QM_SANDBOX_REDIS_URL",
    default=None,
    help="Read the control keys from Redis (prefer the env var).",
)
@click.option("--prefix", default=None, help="The environment's redis.key_prefix.")
@click.option(
    "--store-url",
    envvar="QM_SANDBOX_STORE_URL",
    default=None,
    help="Read the control state from the store (prefer the env var).",
)
@click.option("--environment", default=None, help="With --store-url: the environment's name.")
@click.option("--fault", "faults", multiple=True, metavar="KIND[=VALUE]", help="Start with this fault (see README).")
@click.option(
    "--exit-with-stdin", is_flag=True, help="Stop when stdin closes (its parent died): nothing outlives a test run."
)
def serve(
    component: str,
    version: str,
    mode: str,
    port: int,
    config_version: str,
    banner: str,
    account: str,
    peers: tuple[str, ...],
    peer_timeout: float,
    warmup: float,
    redis_url: str | None,
    prefix: str | None,
    store_url: str | None,
    environment: str | None,
    faults: tuple[str, ...],
    exit_with_stdin: bool,
) -> None:
    """Serve one sandbox component on 127.0.0.1 until SIGTERM."""
    from quantmatrix.sandbox.cli_support import build_sandbox
    from quantmatrix.sandbox.server import serve as run_server

    built = build_sandbox(
        component,
        version,
        mode,
        config_version,
        banner,
        account,
        peers,
        peer_timeout,
        warmup,
        redis_url,
        prefix,
        store_url,
        environment,
    )
    run_server(built, port, list(faults), exit_with_stdin=exit_with_stdin)


@sandbox.command()
@click.argument("url")
@click.argument("fault", required=False)
@click.option("--clear", is_flag=True, help="Remove every fault instead.")
@click.option("--reset", "reset_all", is_flag=True, help="Remove every fault and empty the broker's book.")
def fault(url: str, fault: str | None, clear: bool, reset_all: bool) -> None:
    """Inject FAULT (KIND[=VALUE]) into the running sandbox component at URL, or list its faults."""
    from quantmatrix.sandbox.admin import send_fault

    echo(send_fault(url, fault, clear=clear, reset=reset_all))
