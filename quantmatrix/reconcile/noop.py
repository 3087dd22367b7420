"""The in-sync fast path of `qm apply` (issue 10: a no-op apply ≤ 0.5 s, whole process).

A full apply imports SQLAlchemy and builds every pydantic model (~0.5 s before any work) to
find, most of the time, that nothing differs. This path decides "in sync" without either,
and falls through to the full path (`False`) the moment anything is not exactly as the full
path would find it in sync; it never decides anything else.

- The desired side comes from `.qm/noop/<environment>.json`, written by the full path
  (`remember`) from a state it loaded: release, configuration version, schema revision,
  component versions, where the store is, plus the blob id of every file the loader read
  (the YAML it parsed, the migration chain it checked) and the code's identity. It is used
  only when the files hash to the very same blob ids (`repo.blobs`) and the code is the
  same: a changed, added or removed file, or an upgraded `qm`, is a miss, never a stale
  answer. It holds no secret (only environments whose store
  is a SQLite file, whose control state is in it (no Redis) and whose services run under
  the process driver are eligible).
- The running side is read under the environment's apply lock (the same file lock: a second
  apply gets `LockHeld`, exit 3; a no-op never races an apply) in one SQLite transaction:
  the control tables' revision (the full path would upgrade them first), the applied
  configuration, the last deployment, the control state (validated as the full path
  validates it), the trading schema's revision and the standing operator halt; then each
  component's state file and one health GET each (`runtime.drivers.health_get`).
- In sync: the same `reconcile.no_op` check result as the full path is recorded.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantmatrix.errors import ConfigError
from quantmatrix.repo.blobs import directory_blobs

if TYPE_CHECKING:
    from quantmatrix.state import DesiredState

FORMAT = 1
CACHE_DIR = Path(".qm") / "noop"
_HEALTH = ("healthy", "progressing", "degraded", "missing")  # what a health body's status may say


@dataclass(frozen=True)
class NoOpCheck:
    """The record of an apply that found nothing to change (fits the store's CheckResultLike)."""

    name: str = "reconcile.no_op"
    category: str = "reconcile"
    passed: bool = True
    duration_seconds: float = 0.0
    message: str = "in sync: nothing to change"


def code_identity() -> str:
    """Size and modification time of every module of this package: an upgraded or edited `qm`
    may compute the desired side differently, so it never reads an older one's cache."""
    import hashlib

    import quantmatrix

    package = Path(quantmatrix.__file__).parent
    digest = hashlib.sha256(quantmatrix.__version__.encode())
    for folder, dirs, files in sorted(os.walk(package)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _cache_file(root: Path, name: str) -> Path:
    return root / CACHE_DIR / f"{name}.json"


# What the loader reads besides the YAML it records in `DesiredState.blobs`: the migration
# chain it checks the releases against (a superset: every `*.py` of both folders).
MIGRATION_FOLDERS = ("migrations", "migrations/versions")


def migrations_snapshot(root: str | Path) -> dict[str, str] | None:
    """The migration files' blob ids, taken before loading: `remember` takes them again after,
    and writes nothing unless they did not move meanwhile (the loader read those bytes)."""
    return directory_blobs(Path(root).resolve(), MIGRATION_FOLDERS, (".py",))


def remember(state: DesiredState, name: str, root: str | Path, migrations: dict[str, str] | None) -> None:
    """Write (or remove) `name`'s desired side for the fast path, from `state` as loaded
    (`migrations`: `migrations_snapshot` from before the load)."""
    from quantmatrix.model.runtime import COMPONENTS
    from quantmatrix.reconcile.connect import environment_of
    from quantmatrix.repo.loader import FOLDERS
    from quantmatrix.runtime.control import config_version
    from quantmatrix.runtime.store.schema import CONTROL_HEAD, CONTROL_VERSION_TABLE

    root = Path(root).resolve()
    environment, release = environment_of(state, name)
    spec = environment.spec
    path = _cache_file(root, name)
    sqlite_file = spec.runtime.store.sqlite_file(name)
    eligible = sqlite_file is not None and not spec.redis.required and spec.runtime.driver == "process"
    if not eligible or not state.blobs or migrations is None or migrations_snapshot(root) != migrations:
        path.unlink(missing_ok=True)
        return
    data = {
        "format": FORMAT,
        "code": code_identity(),
        "folders": [[folder, [".yaml", ".yml"]] for folder in FOLDERS]
        + [[folder, [".py"]] for folder in MIGRATION_FOLDERS],
        "blobs": {**state.blobs, **migrations},
        "environment": name,
        "release": release.metadata.name,
        "config_version": config_version(environment),
        "revision": release.spec.database.revision,
        "components": {c: getattr(release.spec.components, c) for c in COMPONENTS},
        "store": sqlite_file,
        "control_schema": [CONTROL_VERSION_TABLE, CONTROL_HEAD],  # opening the store would upgrade any other
    }
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        pass  # only a speed-up: without it the next no-op takes the full path


def fast_noop(root: str | Path, name: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> bool:
    """True: `name` is in sync and the no-op check is recorded. False: not decided here
    (the full path runs). `LockHeld` when another apply holds the lock."""
    from quantmatrix.reconcile import file_lock
    from quantmatrix.reconcile.holder import checked_environment, this_process

    try:
        checked_environment(name)
    except ConfigError:
        return False  # the full path says what is wrong with the name
    root = Path(root).resolve()
    desired = _desired(root, name)
    if desired is None:
        return False
    database = root / desired["store"]
    if not database.is_file():
        return False
    lock = file_lock.acquire(root, name, this_process("apply", now()))
    try:
        return _in_sync_recorded(root, name, database, desired, now)
    finally:
        lock.release()


def _desired(root: Path, name: str) -> dict[str, Any] | None:
    try:
        data = json.loads(_cache_file(root, name).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("environment") != name:
        return None
    if data.get("code") != code_identity() or not _well_formed(data):
        return None
    found: dict[str, str] = {}
    for folder, suffixes in data["folders"]:
        blobs = directory_blobs(root, (folder,), tuple(suffixes))
        if blobs is None:
            return None
        found |= blobs
    return data if found == data["blobs"] else None


def _well_formed(data: dict[str, Any]) -> bool:
    """Every field the fast path reads, of its type (a damaged cache is a miss, not a traceback)."""
    texts = ("release", "config_version", "revision", "store")
    components, control_schema = data.get("components"), data.get("control_schema")
    return (
        all(isinstance(data.get(key), str) for key in texts)
        and isinstance(control_schema, list)
        and len(control_schema) == 2
        and all(isinstance(part, str) and part.isidentifier() for part in control_schema)
        and isinstance(data.get("folders"), list)
        and all(
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], list)
            and all(isinstance(suffix, str) for suffix in entry[1])
            for entry in data["folders"]
        )
        and isinstance(data.get("blobs"), dict)
        and isinstance(components, dict)
        and bool(components)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in components.items())
    )


def _in_sync_recorded(
    root: Path, name: str, database: Path, desired: dict[str, Any], now: Callable[[], datetime]
) -> bool:
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=rw", uri=True, timeout=10.0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        if not _store_in_sync(connection, name, desired):
            return False
        if not all(_component_in_sync(root, name, c, v) for c, v in desired["components"].items()):
            return False
        check = NoOpCheck()
        connection.execute(
            "INSERT INTO qm_check_results (environment, deployment_id, at, name, category, status, passed,"
            " duration_seconds, message) VALUES (?, NULL, ?, ?, ?, NULL, ?, ?, ?)",
            (
                name,
                _sqlite_time(now()),
                check.name,
                check.category,
                check.passed,
                check.duration_seconds,
                check.message,
            ),
        )
        return True
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def _sqlite_time(moment: datetime) -> str:
    """A time as the store's SQLAlchemy `DateTime` writes it to SQLite: naive UTC, microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _store_in_sync(connection: sqlite3.Connection, name: str, desired: dict[str, Any]) -> bool:
    """The store's side of `plan.drift` empty, nothing interrupted, nothing rolled back."""
    from quantmatrix.runtime.controlstate import HALT_ACTION, RESUME_ACTION, TradingState

    table, head = desired["control_schema"]
    connection.execute("BEGIN")
    try:
        # `table` is an identifier (checked by `_well_formed`), the only text put into a query
        control_schema = [row[0] for row in connection.execute(f"SELECT version_num FROM {table}")]
        applied = connection.execute(
            "SELECT config_version FROM qm_config_versions WHERE environment = ? ORDER BY id DESC LIMIT 1", (name,)
        ).fetchone()
        last = connection.execute(
            "SELECT status, release, rollback_of FROM qm_deployments WHERE environment = ?"
            " ORDER BY started_at DESC, id DESC LIMIT 1",
            (name,),
        ).fetchone()
        control = connection.execute(
            "SELECT environment, mode, trading, reason, changed_by, changed_at, risk_limits, blocked_symbols,"
            " strategies, config_version, version FROM qm_control_state WHERE environment = ?",
            (name,),
        ).fetchone()
        revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        halt = connection.execute(
            "SELECT action FROM qm_audit_log WHERE environment = ? AND action IN (?, ?) ORDER BY id DESC LIMIT 1",
            (name, HALT_ACTION, RESUME_ACTION),
        ).fetchone()
    finally:
        connection.execute("COMMIT")
    if control_schema != [head]:
        return False  # the full path's open_store upgrades the control tables first
    if applied is None or applied[0] != desired["config_version"]:
        return False
    if last is None or tuple(last) != ("succeeded", desired["release"], None):
        return False  # interrupted, failed, or a rollback: the full path decides
    if revisions != [desired["revision"]]:
        return False
    state = _control_state(control)
    wanted = TradingState.HALTED if halt is not None and halt[0] == HALT_ACTION else TradingState.ACTIVE
    return state is not None and state.trading is wanted and state.config_version == desired["config_version"]


def _control_state(row: Any) -> Any:
    """The control row as the full path reads it (`store.control_state`), or None where that
    read would find it missing or malformed (the full path: unknown, not trading)."""
    from pydantic import ValidationError

    from quantmatrix.runtime.controlstate import ControlState

    if row is None:
        return None
    environment, mode, trading, reason, changed_by, changed_at, limits, blocked, strategies, version, count = row
    try:
        moment = datetime.fromisoformat(changed_at)
        return ControlState(
            environment=environment,
            mode=mode,
            trading=trading,
            reason=reason,
            changed_by=changed_by,
            changed_at=moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC),
            risk_limits=json.loads(limits),
            blocked_symbols=tuple(json.loads(blocked)),
            strategies=tuple(json.loads(strategies)),
            config_version=version,
            version=count,
        )
    except (ValidationError, TypeError, ValueError):
        return None


# The keys of `runtime.drivers.process.ProcessState` (importing it would build the runtime
# models on the fast path); tests/reconcile/test_noop_fast.py checks that the two agree.
PROCESS_STATE_KEYS = frozenset(
    {
        "component",
        "version",
        "config_version",
        "pid",
        "started",
        "host",
        "port",
        "started_at",
        "command",
        "log",
        "health_url",
        "previous",
    }
)


def _component_in_sync(root: Path, name: str, component: str, version: str) -> bool:
    """The process driver's `observe` of `component` says `version`, healthy."""
    from quantmatrix.runtime.drivers import procs
    from quantmatrix.runtime.drivers.health_get import HealthUnreachable, get_health

    try:
        state = json.loads((root / ".qm" / name / f"{component}.json").read_bytes())
        pid, started, url = state["pid"], state["started"], state["health_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not (isinstance(pid, int) and isinstance(started, int) and isinstance(url, str)):
        return False
    # Anything the driver's own model would refuse or still act on (an unknown key, another
    # component's file, an old process left to stop) is the full path's to judge.
    if set(state) - PROCESS_STATE_KEYS or state.get("component") != component or state.get("previous") is not None:
        return False
    if not procs.is_ours(pid, started):
        return False
    try:
        status_code, body = get_health(url, timeout=1.0)
    except HealthUnreachable:
        return False
    status = body.get("status")
    healthy = status == "healthy" or status not in _HEALTH
    return status_code == 200 and body.get("version") == version and healthy
