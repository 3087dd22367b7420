"""One sandbox process: its configuration and everything it holds in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from quantmatrix.sandbox.banner import BANNERS
from quantmatrix.sandbox.control import Control, ControlReader, read_control
from quantmatrix.sandbox.faults import Faults
from quantmatrix.sandbox.market import DryRunBroker

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class SandboxConfig:
    component: str  # api | workers | ui
    version: str
    mode: str
    config_version: str = ""
    banner: str = ""  # empty: BANNERS[mode]
    account: str = "sandbox-dry-run"
    peers: dict[str, str] = field(default_factory=dict)  # api only: workers/ui → base URL
    peer_timeout: float = 0.5
    warmup_seconds: float = 0.0  # reports "progressing" this long after start

    @property
    def shown_banner(self) -> str:
        return self.banner or BANNERS[self.mode]


@dataclass
class Sandbox:
    config: SandboxConfig
    reader: ControlReader | None
    faults: Faults
    broker: DryRunBroker = field(default_factory=DryRunBroker)
    watchlist: list[str] = field(default_factory=lambda: ["AAPL", "MSFT"])
    started: float = field(default_factory=time.monotonic)
    clock: Callable[[], float] = time.monotonic
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards the watchlist

    def control(self) -> Control:
        return read_control(self.reader)

    @property
    def trades(self) -> bool:
        """api and workers act on the market and need the control state; the UI only shows."""
        return self.config.component in ("api", "workers")

    def reset(self) -> None:
        """Back to a fresh start: no faults, an empty book, the default watchlist."""
        self.faults.clear()
        self.broker.reset()
        with self.lock:
            self.watchlist = ["AAPL", "MSFT"]
