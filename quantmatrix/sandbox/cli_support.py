"""From command-line values to a `Sandbox`: validation of what the CLI cannot type-check."""

from __future__ import annotations

from urllib.parse import urlsplit

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.sandbox.connect import control_reader
from quantmatrix.sandbox.faults import Faults
from quantmatrix.sandbox.state import Sandbox, SandboxConfig


def parse_peers(peers: tuple[str, ...], component: str) -> dict[str, str]:
    if peers and component != "api":
        raise ConfigError(Problem(subject="--peer", message="only the api component has peers"))
    parsed: dict[str, str] = {}
    for peer in peers:
        name, _, url = peer.partition("=")
        if name not in ("workers", "ui"):
            raise ConfigError(
                Problem(subject="--peer", message=f"'{name}' is not a peer (workers or ui): write NAME=URL")
            )
        split = urlsplit(url)
        if split.scheme != "http" or split.hostname not in ("127.0.0.1", "localhost", "::1") or split.port is None:
            raise ConfigError(
                Problem(subject="--peer", message=f"{name}: peers are http://127.0.0.1:PORT (loopback only)")
            )
        parsed[name] = f"http://{split.netloc}"
    return parsed


def build_sandbox(
    component: str,
    version: str,
    mode: str,
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
) -> Sandbox:
    for name, value in (("--version", version), ("--config-version", config_version), ("--account", account)):
        if len(value) > 128 or any(not (c.isalnum() or c in ".-+_:") for c in value):
            raise ConfigError(
                Problem(subject=name, message="letters, digits and . - + _ : only, at most 128 characters")
            )
    if len(banner) > 200 or any(ord(c) < 32 for c in banner):
        raise ConfigError(Problem(subject="--banner", message="one line of at most 200 characters"))
    config = SandboxConfig(
        component, version, mode, config_version, banner, account, parse_peers(peers, component), peer_timeout, warmup
    )
    return Sandbox(config, control_reader(redis_url, prefix, store_url, environment), Faults(component, mode))
