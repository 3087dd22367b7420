"""See control-key changes as they happen, on a thread, and wake the loop.

Redis: keyspace notifications for every key under the environment's prefix (a hand-written
`SET` is seen even though its writer published nothing) plus the control plane's own
channel. The loop enables the `K` (keyspace), `$` (string) and `g` (generic: DEL, RENAME,
EXPIRE) classes with `CONFIG SET notify-keyspace-events`, adding to what is set, never
removing. Where CONFIG is refused (managed Redis), or without Redis (local's store), the
watcher polls the control state every `poll_seconds` instead, and says so.

The owner's watcher also listens on `fetch_channel(P)`: a replica that received the git
webhook but does not own the environment publishes there (`publish_fetch`), and the owner
fetches at once instead of at its next poll (Argo CD: any replica may receive the webhook).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from quantmatrix.runtime.control import KEYS, notification_channel
from quantmatrix.runtime.secrets import SecretValue

log = logging.getLogger("quantmatrix.reconcile")
Wake = Callable[[str], None]  # called with the environment's name
Fetch = Callable[[], None]  # asks the loop to fetch the followed branch now
NOTIFY_CLASSES = "K$gx"


def fetch_channel(prefix: str) -> str:
    return f"{prefix}fetch"


def publish_fetch(url: SecretValue, prefix: str) -> int:
    """Tell the owner of the environment behind `prefix` to fetch now; returns how many
    listened (0: no owner is watching, it fetches at its next poll). Raises RedisError."""
    import redis

    client = redis.Redis.from_url(url.reveal(), socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        return int(client.publish(fetch_channel(prefix), "webhook"))
    finally:
        client.close()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def enable_notifications(client: object) -> bool:
    """Add K$gx to the server's notify-keyspace-events; False when CONFIG is not allowed.
    Asked again at every (re)connection: a restarted server has forgotten it."""
    from redis import ResponseError

    try:
        current = str(client.config_get("notify-keyspace-events").get("notify-keyspace-events", ""))  # type: ignore[attr-defined]
        wanted = current
        if "A" in current:
            wanted = current if "K" in current else current + "K"
        else:
            wanted = current + "".join(c for c in NOTIFY_CLASSES if c not in current)
        if wanted != current:
            client.config_set("notify-keyspace-events", wanted)  # type: ignore[attr-defined]
        return True
    except ResponseError as error:  # refused (managed Redis, ACL); a connection error is an outage: raised
        log.warning(
            "CONFIG SET notify-keyspace-events refused (%s): polling the control keys instead", type(error).__name__
        )
        return False


class RedisWatcher(threading.Thread):
    """Subscribes to the keyspace of `prefix` and its notification channel; reconnects with
    a short backoff when Redis goes away (the loop reports the outage, not this thread)."""

    def __init__(
        self,
        environment: str,
        url: SecretValue,
        prefix: str,
        wake: Wake,
        stop: threading.Event,
        poll_seconds: float = 0.1,
        fetch: Fetch | None = None,
    ):
        super().__init__(name=f"watch-{environment}", daemon=True)
        self.environment, self._url, self.prefix, self.wake, self.stop = environment, url, prefix, wake, stop
        self.poll_seconds, self.fetch = poll_seconds, fetch
        self.mode = "starting"

    def run(self) -> None:
        import redis

        delay = 0.1
        while not self.stop.is_set():
            client = redis.Redis.from_url(self._url.reveal(), socket_connect_timeout=1.0, socket_timeout=1.0)
            try:
                if enable_notifications(client):
                    self._subscribe(client)
                else:
                    self._poll(client)
                delay = 0.1
            except redis.RedisError:
                self.mode = "reconnecting"
                self.stop.wait(delay)
                delay = min(delay * 2, 2.0)
                self.wake(self.environment)  # a pass notices the outage (or the recovery)
            finally:
                client.close()

    def _subscribe(self, client: object) -> None:
        db = int(client.connection_pool.connection_kwargs.get("db", 0))  # type: ignore[attr-defined]
        pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[attr-defined]
        try:
            pubsub.psubscribe(f"__keyspace@{db}__:{_glob_escape(self.prefix)}*")
            pubsub.subscribe(notification_channel(self.prefix), fetch_channel(self.prefix))
            self.mode = "notifications"
            self.wake(self.environment)  # anything missed while not subscribed
            while not self.stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is not None and not self._fetch_asked(message):
                    self.wake(self.environment)
        finally:
            pubsub.close()

    def _fetch_asked(self, message: dict[str, object]) -> bool:
        """A message on the fetch channel: the loop fetches (and then passes over what changed)."""
        channel = message.get("channel")
        if channel not in (fetch_channel(self.prefix), fetch_channel(self.prefix).encode()):
            return False
        if self.fetch is not None:
            log.info("%s: another replica received the git webhook: fetching now", self.environment)
            self.fetch()
        return True

    def _poll(self, client: object) -> None:
        """Keyspace notifications refused: the keys are polled; the fetch channel (plain
        pub/sub, which needs no CONFIG) is still listened to, between two polls."""
        self.mode = "polling"
        keys = [f"{self.prefix}{k}" for k in KEYS]
        last: str | None = None
        pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[attr-defined]
        try:
            pubsub.subscribe(fetch_channel(self.prefix))
            while not self.stop.is_set():
                values = client.mget(keys)  # type: ignore[attr-defined]
                digest = hashlib.sha256(repr(values).encode()).hexdigest()
                if digest != last:
                    last = digest
                    self.wake(self.environment)
                message = pubsub.get_message(timeout=self.poll_seconds)
                if message is not None:
                    self._fetch_asked(message)
        finally:
            pubsub.close()


class StorePoller(threading.Thread):
    """Without Redis (local): the control state in the store, polled."""

    def __init__(
        self,
        environment: str,
        read: Callable[[], object],
        wake: Wake,
        stop: threading.Event,
        poll_seconds: float = 0.25,
    ):
        super().__init__(name=f"poll-{environment}", daemon=True)
        self.environment, self.read, self.wake, self.stop, self.poll_seconds = (
            environment,
            read,
            wake,
            stop,
            poll_seconds,
        )
        self.mode = "polling"

    def run(self) -> None:
        last: str | None = None
        while not self.stop.is_set():
            try:
                digest = hashlib.sha256(repr(self.read()).encode()).hexdigest()
            except Exception as error:  # noqa: BLE001 - an outage: the loop's pass reports it
                digest = type(error).__name__
            if digest != last:
                last = digest
                self.wake(self.environment)
            self.stop.wait(self.poll_seconds)
