"""Who holds an environment's apply lock, and the error a second apply gets (exit 3)."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError

from quantmatrix.errors import ConfigError, Problem, RuntimeUnavailable
from quantmatrix.model.common import Name

_UNSAFE = re.compile(r"[^A-Za-z0-9._:@/=+-]")


def _clean(text: str, limit: int) -> str:
    """Printable ASCII without spaces: a holder string is shown to operators and stored in
    PostgreSQL's application_name, and a hostile host or command name must not forge lines."""
    return _UNSAFE.sub("_", text)[:limit] or "?"


@dataclass(frozen=True)
class Holder:
    """The process that takes (or holds) a lock: shown to whoever finds it taken."""

    command: str  # e.g. "apply"
    pid: int
    host: str
    since: datetime  # aware, UTC

    def describe(self, environment: str) -> str:
        """'qm apply paper pid=123 host=h' (when: `since`, kept apart)."""
        return f"qm {self.command} {environment} pid={self.pid} host={self.host}"


def this_process(command: str, now: datetime) -> Holder:
    """A `Holder` for this process, taking the lock at `now` (the clock is passed in)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the clock must give an aware datetime (a naive one has no time zone)")
    return Holder(
        command=_clean(command, 40), pid=os.getpid(), host=_clean(socket.gethostname(), 64), since=now.astimezone(UTC)
    )


def printable(text: str, limit: int = 200) -> str:
    """Text read back from a lock file or from PostgreSQL, safe to print on one line."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def format_since(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def checked_environment(environment: str) -> str:
    """The environment name, refused unless it is a plain name (it becomes a file name and a
    lock key: no '/', '..', NUL or upper case)."""
    try:
        return TypeAdapter(Name).validate_python(environment)
    except ValidationError:
        raise ConfigError(
            Problem(
                subject="environment", message="not a valid environment name (lower-case letters, digits, '-' and '_')"
            )
        ) from None


class LockHeld(RuntimeUnavailable):
    """Another apply holds the environment's lock: stop at once, saying who and since when."""

    def __init__(self, environment: str, holder: str, since: str | None):
        self.environment, self.holder, self.since = environment, holder, since
        when = f" since {since}" if since else ""
        super().__init__(f"another apply of environment '{environment}' is running: the lock is held by {holder}{when}")


class LockLost(RuntimeUnavailable):
    """The lock was taken but is no longer held (its connection died, its file was removed)."""
