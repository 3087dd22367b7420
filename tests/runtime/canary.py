"""The canary: a secret with a unique random value, resolved through the real resolver, that
must appear in no output — stdout, stderr, logs, exceptions, JSON, files, database tables,
Redis keys. Reusable: the store and reconciler tests grep their tables and outputs with it.

    from canary import Canary  # tests/runtime/ is on sys.path; or the `canary`, `make_canary` fixtures

    canary = Canary.create(monkeypatch, mode="paper", url=True)
    secret = canary.resolve()              # a SecretValue, as production code gets it
    ... run the code under test ...
    canary.assert_absent(result.output, caplog.text, where="qm apply")
    canary.assert_absent_in_tree(tmp_path / ".qm")       # every file, as bytes
    canary.assert_absent_in_rows(connection.execute(text("select * from deployments")))
    canary.assert_absent_in_database(connection)          # every row of every table of every schema
    canary.assert_absent_in_redis(client, prefix)         # every key under the prefix, any type
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from quantmatrix.model.secrets import SecretCatalog
from quantmatrix.runtime.secrets import SecretValue, resolve_secret


@dataclass
class Canary:
    name: str
    value: str = field(repr=False)  # a failing assertion or a traceback's locals must not print it either
    needles: tuple[str, ...] = field(
        repr=False
    )  # the forms a leak could take: raw, %-encoded, base64, the password alone
    catalog: SecretCatalog = field(repr=False)
    mode: str = "local"

    @classmethod
    def create(
        cls, monkeypatch: pytest.MonkeyPatch, *, mode: str = "local", url: bool = False, name: str = "QM_CANARY_SECRET"
    ) -> Canary:
        """A catalog declaring `name` (scope `mode`, provided by the environment variable of the
        same name, set here). With `url=True` the value is a database URL whose password is the canary."""
        token = "cAnArY" + secrets.token_hex(12)
        value = f"postgresql://qm:{token}@127.0.0.1:5432/qm" if url else token
        monkeypatch.setenv(name, value)
        catalog = SecretCatalog.model_validate(
            {
                "apiVersion": "quantmatrix.io/v1",
                "kind": "SecretCatalog",
                "metadata": {"name": "secrets"},
                "spec": {"secrets": {name: {"scope": mode, "description": "Test canary.", "provider": {"env": name}}}},
            }
        )
        needles = {
            value,
            token,
            quote(value, safe=""),
            base64.b64encode(value.encode()).decode(),
            base64.b64encode(token.encode()).decode(),
        }
        return cls(name, value, tuple(sorted(needles)), catalog, mode)

    def resolve(self) -> SecretValue:
        return resolve_secret(self.catalog, self.name, mode=self.mode)

    def leaks(self, text: str | bytes) -> list[str]:
        data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        return [n for n in self.needles if n.encode() in data]

    def assert_absent(self, *outputs: str | bytes, where: str = "output") -> None:
        for i, output in enumerate(outputs):
            assert not self.leaks(output), f"the canary secret leaked into {where} #{i}"

    def assert_absent_in_tree(self, root: Path) -> int:
        """Every file under `root`, read as bytes; returns how many files were searched (so a
        test can assert it searched something)."""
        files = [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            assert not self.leaks(path.read_bytes()), f"the canary secret leaked into {path}"
        return len(files)

    def assert_absent_in_rows(self, rows: Iterable[Any], where: str = "table") -> int:
        """Every row (any sequence or mapping) as its repr; returns how many rows were searched."""
        count = 0
        for count, row in enumerate(rows, 1):
            assert not self.leaks(repr(tuple(row))), f"the canary secret leaked into {where} row {count}"
        return count

    def assert_absent_in_database(self, connection: Any) -> int:
        """Every row of every table of every (non-system) schema a SQLAlchemy connection sees;
        returns how many rows were searched."""
        from sqlalchemy import MetaData, inspect, select

        metadata = MetaData()
        inspector = inspect(connection)
        for schema in inspector.get_schema_names():
            if schema not in ("information_schema", "pg_catalog", "pg_toast"):
                metadata.reflect(connection, schema=schema)
        return sum(
            self.assert_absent_in_rows(connection.execute(select(table)), where=table.fullname)
            for table in metadata.sorted_tables
        )

    def assert_absent_in_redis(self, client: Any, prefix: str) -> int:
        """Every key under `prefix` and its value, whatever its type; returns how many keys."""
        readers = {
            b"string": client.get,
            b"hash": client.hgetall,
            b"list": lambda key: client.lrange(key, 0, -1),
            b"set": client.smembers,
            b"zset": lambda key: client.zrange(key, 0, -1, withscores=True),
            b"stream": lambda key: client.xrange(key),
        }
        keys = list(client.scan_iter(match=prefix.replace("*", "[*]") + "*"))
        for key in keys:
            kind = client.type(key)
            kind = kind.encode() if isinstance(kind, str) else kind
            value = readers.get(kind, lambda _key: None)(key)
            assert not self.leaks(repr(key) + repr(value)), f"the canary secret leaked into Redis key {key!r}"
        return len(keys)
