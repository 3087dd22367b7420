"""`qm reconcile`: keep applying the merged manifest, and catch drift as it happens.

    desired  = the followed branch's commit (git fetch every `interval`, or at once on a
               signed webhook), or the directory as it is
    per environment (owned by exactly one reconciler process, see `ownership`):
      wake-up on a control-key change (watch.py)  → drift check → self-heal (heal.py)
      every runtime.reconcile.observe_interval_seconds, and on a new commit
                                                  → plan → apply (all of the apply's gates)

One thread decides (this one); watchers and the webhook only wake it through a queue.
SIGTERM (`request_stop`) is honoured between two steps of an apply, never inside one; the
locks are released on the way out. Time is injectable (`clock`, `wait`) for the tests.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from quantmatrix.errors import ConfigError, Problem, QMError
from quantmatrix.reconcile.backoff import Backoff
from quantmatrix.reconcile.env_pass import Desired, EnvironmentLoop
from quantmatrix.reconcile.follow import Follower
from quantmatrix.reconcile.heal import Alert, log_alert
from quantmatrix.reconcile.loop_events import LoopEvents, NoEvents, PassResult
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source

log = logging.getLogger("quantmatrix.reconcile")
GIT = "\x00git"  # the queue's marker for "fetch now" (an environment name cannot hold NUL)
HOOK = "\x00hook"  # "fetch now, and tell the owners of the environments this process does not own"
STOP = "\x00stop"


def _where(problem: Problem) -> str:
    return f"{problem.file}:{problem.line}: " if problem.line else (f"{problem.file}: " if problem.file else "")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LoopOptions:
    environments: tuple[str, ...] = ()  # empty: every environment of the desired state
    path: Path = Path(".")  # the repository when not following a remote branch
    repo: str | None = None
    branch: str | None = None
    workdir: Path | None = None  # the private checkout of the followed branch
    interval: float = 30.0  # git poll
    alert: Alert = log_alert


@dataclass
class Reconciler:
    options: LoopOptions
    events: LoopEvents = field(default_factory=NoEvents)
    clock: Callable[[], datetime] = utc_now
    stopping: threading.Event = field(default_factory=threading.Event)
    wakeups: queue.Queue[str] = field(default_factory=queue.Queue)
    loops: dict[str, EnvironmentLoop] = field(default_factory=dict)
    desired: Desired | None = None
    follower: Follower | None = None
    git_backoff: Backoff = field(default_factory=lambda: Backoff(base=1.0, cap=60.0))
    git_degraded: str = ""

    def __post_init__(self) -> None:
        if self.options.repo is not None:
            if not self.options.branch:
                raise ConfigError("--repo needs --branch")
            workdir = self.options.workdir or Path(".qm") / "reconcile" / "checkout"
            self.follower = Follower(self.options.repo, self.options.branch, workdir.resolve())

    # -- called from other threads ---------------------------------------------------------
    def wake(self, environment: str) -> None:
        self.wakeups.put(environment)

    def trigger_fetch(self) -> None:
        self.wakeups.put(GIT)

    def webhook_push(self) -> None:
        """The git webhook: fetch, and have the owners of the environments this replica does
        not own fetch too (through their Redis, `watch.publish_fetch`)."""
        self.wakeups.put(HOOK)

    def request_stop(self) -> None:
        self.stopping.set()
        self.wakeups.put(STOP)

    # -- the desired state -------------------------------------------------------------------
    def refresh(self) -> bool:
        """Fetch (or re-read) the desired state; True when it changed. A bad commit or a git
        outage keeps the last good state (reported, not applied)."""
        try:
            if self.follower is not None:
                commit: str | None = self.follower.fetch()
                if self.desired is not None and commit == self.desired.commit:
                    self._git_ok()
                    return False
                assert commit is not None
                root = self.follower.checkout(commit)
                source = open_source(root, commit)
            else:
                from quantmatrix.reconcile.apply import commit_of

                root = self.options.path.resolve()
                commit = commit_of(root, None)
                if self.desired is not None and commit is not None and commit == self.desired.commit:
                    return False
                source = open_source(root, None)
            desired = Desired(load_source(source), source, root, commit)
        except QMError as error:
            self._git_down("; ".join(_where(p) + p.message for p in error.problems)[:500])
            if self.follower is not None and self.desired is not None and self.desired.commit is not None:
                try:  # the work tree back at the last good commit: the apply reads migrations from it
                    self.follower.checkout(self.desired.commit)
                except QMError:
                    pass
            return False
        self._git_ok()
        self.desired = desired
        log.info("desired state: %s", f"commit {commit[:12]}" if commit else str(root))
        return True

    def _git_ok(self) -> None:
        self.git_backoff.reset()
        if self.git_degraded:
            self.git_degraded = ""
            self.events.recovered(None)

    def _git_down(self, reason: str) -> None:
        if reason != self.git_degraded:
            self.events.degraded(None, reason)
        self.git_degraded = reason

    def _environments(self) -> tuple[str, ...]:
        assert self.desired is not None
        names = self.options.environments or tuple(sorted(self.desired.state.environments))
        unknown = [n for n in names if n not in self.desired.state.environments]
        if unknown:
            raise ConfigError(
                f"no environment {', '.join(unknown)} in the desired state (have: {', '.join(sorted(self.desired.state.environments))})"
            )
        return names

    def _loop(self, name: str) -> EnvironmentLoop:
        if name not in self.loops:
            self.loops[name] = EnvironmentLoop(
                name, self.events, self.wake, self.stopping, self.clock, self.options.alert, self.trigger_fetch
            )
        return self.loops[name]

    # -- passes -----------------------------------------------------------------------------
    def run_once(self) -> dict[str, PassResult]:
        """One full pass over every environment (`--once`)."""
        self.refresh()
        if self.desired is None:
            raise ConfigError(self.git_degraded or "no desired state")
        try:
            return {name: self._loop(name).run(self.desired, full=True) for name in self._environments()}
        finally:
            self.shutdown()

    def run_forever(self) -> None:
        """Until `request_stop()`: wake-ups, polls and intervals."""
        self.refresh()
        if self.desired is None:
            raise ConfigError(self.git_degraded or "no desired state")
        names = self._environments()
        next_fetch = time.monotonic() + self.options.interval
        try:
            for name in names:
                self._full(name)
            while not self.stopping.is_set():
                now = time.monotonic()
                due = [self._loop(n).next_full for n in names] + [next_fetch]
                try:
                    woken: str | None = self.wakeups.get(timeout=max(0.0, min(due) - now))
                except queue.Empty:
                    woken = None
                if self.stopping.is_set():
                    break
                woken_envs, fetch_now, hooked = self._drain(names, woken)
                if hooked:
                    self._signal_owners(names)
                changed = False
                if fetch_now or time.monotonic() >= next_fetch:
                    changed = self.refresh()
                    delay = self.git_backoff.next_delay() if self.git_degraded else self.options.interval
                    next_fetch = time.monotonic() + delay
                    names = self._environments() if changed else names
                for name in names:
                    if self.stopping.is_set():
                        break
                    if changed or time.monotonic() >= self._loop(name).next_full:
                        self._full(name)
                    elif name in woken_envs:
                        self._loop(name).run(self._desired(), full=False)
        finally:
            self.shutdown()

    def _drain(self, names: tuple[str, ...], first: str | None) -> tuple[set[str], bool, bool]:
        """Collapse the wake-ups queued meanwhile (many key changes → one check): the
        environments woken, whether to fetch, whether the webhook asked for it."""
        found: set[str] = set()
        fetch = hooked = False
        item = first
        while True:
            if item == STOP:
                self.stopping.set()
            elif item in (GIT, HOOK):
                fetch = True
                hooked = hooked or item == HOOK
            elif item is not None and item in names:
                found.add(item)
            try:
                item = self.wakeups.get_nowait()
            except queue.Empty:
                return found, fetch, hooked

    def _signal_owners(self, names: tuple[str, ...]) -> None:
        """Publish "fetch" to the owner of each environment this process does not own. Best
        effort: an owner that is not told (no Redis, Redis down) fetches at its next poll."""
        from redis import RedisError

        from quantmatrix.reconcile.connect import _secret
        from quantmatrix.reconcile.watch import publish_fetch

        state = self._desired().state
        for name in names:
            if self._loop(name).owned is not None:
                continue  # ours: this process fetches anyway
            spec = state.environments[name].spec
            if not spec.redis.required or spec.redis.url is None:
                log.info("%s: no Redis to tell its owner about the webhook: it fetches at its next poll", name)
                continue
            try:
                url = _secret(state, spec.redis.url.secret, state.environments[name])
                told = publish_fetch(url, spec.redis.key_prefix or f"qm:{name}:")
            except (QMError, RedisError, ValueError) as error:
                log.warning("%s: could not tell its owner about the webhook (%s)", name, type(error).__name__)
                continue
            log.info("%s: webhook passed on to its owner (%d listening)", name, told)

    def _desired(self) -> Desired:
        assert self.desired is not None
        return self.desired

    def _full(self, name: str) -> None:
        env_loop = self._loop(name)
        result = env_loop.run(self._desired(), full=True)
        interval = self._desired().state.environments[name].spec.runtime.reconcile.observe_interval_seconds
        env_loop.next_full = env_loop.retry_at if result == "unavailable" else time.monotonic() + interval

    def shutdown(self) -> None:
        """Release every ownership lock and close everything (the apply lock was released by
        its `with` block)."""
        for env_loop in self.loops.values():
            env_loop.release()
