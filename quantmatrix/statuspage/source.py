"""The status page's source for `qm serve`: the repository's environments, each read fresh
from its running system, and halt through `reconcile.operate.halt` (recorded, immediate)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quantmatrix.statuspage.document import environment_page


class RepoSource:
    def __init__(self, root: str | Path, names: Sequence[str]) -> None:
        self.root, self.names = Path(root), tuple(names)

    def environments(self) -> Sequence[str]:
        return self.names

    def read(self, name: str) -> dict[str, Any]:
        return environment_page(self.root, name)

    def halt(self, name: str, reason: str, by: str) -> str:
        from quantmatrix.reconcile.connect import connect
        from quantmatrix.reconcile.operate import halt
        from quantmatrix.repo.loader import load

        connected = connect(load(self.root), name, self.root, create=False)
        try:
            return "; ".join(halt(connected, reason, datetime.now(UTC), by).lines)
        finally:
            connected.close()


class FollowingSource(RepoSource):
    """The page served by `qm reconcile --watch --status-port`: the environments and the tree
    of the loop's current desired state (the followed branch's checkout moves with each
    commit), read through `current()`; none yet (before the first fetch) shows nothing."""

    def __init__(self, current: Callable[[], tuple[Path, Sequence[str]] | None]) -> None:
        super().__init__(Path("."), ())
        self.current = current

    def environments(self) -> Sequence[str]:
        now = self.current()
        if now is None:
            return ()
        self.root, self.names = Path(now[0]), tuple(now[1])
        return self.names
