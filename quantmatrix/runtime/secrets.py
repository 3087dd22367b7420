"""The secret resolver: the second line of defence behind the policy gate.

`resolve_secret` turns a `{secret: NAME}` reference into a `SecretValue` through the
catalog's provider, and refuses — at run time, whatever the gate said — a name the catalog
does not declare, a secret whose scope is not the environment's mode, and a missing or empty
value. A `SecretValue` never prints (repr, str, format, %, JSON, pickling, exception text):
the value leaves it only through `reveal()`, at the one place that hands it to a client
library (`connection_url` for SQLAlchemy, the child environment of a driver).

Every value resolved in this process is remembered weakly, so that `RedactingFilter` can
redact it from log records even when the detectors would not flag it (a short password).

File provider: the path must be absolute; the file is opened without blocking, must be a
regular file of at most 64 KiB, and may be a symlink only if its target stays inside the
directory of the declared path (Kubernetes mounts secrets as `x -> ..data/x`; a link to
`/etc/shadow` is refused). One trailing newline is stripped; the value must be UTF-8.
"""

from __future__ import annotations

import logging
import os
import stat
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, unquote, urlsplit

from quantmatrix.errors import ExitCode, Problem, QMError
from quantmatrix.model.common import Mode
from quantmatrix.model.secrets import SecretCatalog, SecretEntry

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

MAX_FILE_BYTES = 64 * 1024
CATALOG_FILE = "environments/secrets.yaml"


class SecretError(QMError):
    """A secret could not be resolved. The message names the secret, never a value."""

    def __init__(self, name: str, message: str):
        self.secret_name = name
        super().__init__(Problem(CATALOG_FILE, path=f"spec.secrets.{name}", message=message))


class SecretRefused(SecretError):
    """Not declared, or out of the environment's scope: refused whatever the policy gate said."""

    exit_code = ExitCode.VIOLATIONS


class SecretMissing(SecretError):
    """Declared and in scope, but its provider has no usable value (unset, empty, unreadable)."""

    exit_code = ExitCode.INVALID


class SecretValue:
    """A resolved secret. Prints as `<secret NAME>`; refuses pickling; `reveal()` gives the value."""

    __slots__ = ("_name", "_value", "__weakref__")

    def __init__(self, name: str, value: str):
        self._name = name
        self._value = value
        _RESOLVED.add(self)

    @property
    def name(self) -> str:
        return self._name

    def reveal(self) -> str:
        """The value. Call it only where a client library takes it, never to print or store it."""
        return self._value

    def __repr__(self) -> str:
        return f"SecretValue({self._name!r}, '***')"

    def __str__(self) -> str:
        return f"<secret {self._name}>"

    def __format__(self, spec: str) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return True  # never empty: the resolver refuses empty values

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(f"secret {self._name} cannot be pickled or copied out of this process")

    def __copy__(self) -> SecretValue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretValue:
        return self


_RESOLVED: weakref.WeakSet[SecretValue] = weakref.WeakSet()


def resolved_values() -> list[str]:
    """Every form of every value still held in this process (a URL's password too, raw and
    %-encoded), longest first, for exact-match redaction."""
    forms: set[str] = set()
    for secret in list(_RESOLVED):
        value = secret.reveal()
        forms.update({value, quote(value, safe="")})
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            forms.update({password, unquote(password), quote(unquote(password), safe="")})
    return sorted((f for f in forms if f), key=len, reverse=True)


def resolve_secret(
    catalog: SecretCatalog, name: str, *, mode: Mode | str, environ: Mapping[str, str] | None = None
) -> SecretValue:
    """The value of secret `name` for an environment of `mode`, or SecretRefused/SecretMissing."""
    mode = Mode(mode)
    entry = catalog.spec.secrets.get(name)
    if entry is None:
        raise SecretRefused(name, f"secret {name} is not declared in the catalog: refused")
    if entry.scope is not mode:
        raise SecretRefused(
            name,
            f"secret {name} is scoped to {entry.scope.value}, not {mode.value}: refused (a {mode.value} environment cannot use it)",
        )
    value = (
        _read_env(name, entry, os.environ if environ is None else environ)
        if entry.provider.env
        else _read_file(name, entry)
    )
    if not value.strip():
        raise SecretMissing(name, f"secret {name} is empty ({_where(entry)})")
    return SecretValue(name, value)


def _where(entry: SecretEntry) -> str:
    return f"environment variable {entry.provider.env}" if entry.provider.env else f"file {entry.provider.file}"


def _read_env(name: str, entry: SecretEntry, environ: Mapping[str, str]) -> str:
    assert entry.provider.env is not None
    value = environ.get(entry.provider.env)
    if value is None:
        raise SecretMissing(name, f"secret {name} is not set: export {entry.provider.env}")
    return value


def _read_file(name: str, entry: SecretEntry) -> str:
    assert entry.provider.file is not None
    declared = Path(entry.provider.file)

    def missing(why: str) -> NoReturn:
        raise SecretMissing(name, f"secret {name}: file {declared} {why}")

    if not declared.is_absolute():
        missing("is not an absolute path")
    try:
        real = declared.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        missing("does not exist or cannot be resolved")
    if not real.is_relative_to(declared.parent.resolve()):
        missing("is a symlink out of its directory: refused")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        missing(f"cannot be opened ({error.strerror})")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        missing("is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        missing(f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        missing("is not UTF-8 text")
    return text.removesuffix("\n").removesuffix("\r")


def connection_url(secret: SecretValue) -> URL:
    """A SQLAlchemy URL built from a secret; its str() and repr() hide the password, and a
    malformed URL is reported by the secret's name, never by its text."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(secret.reveal())
    except (ArgumentError, ValueError):
        pass  # outside the except: the library's message quotes the URL, and chaining would keep it
    raise SecretMissing(secret.name, f"secret {secret.name} is not a valid database URL")


def redact(text: str) -> str:
    """`text` with every value resolved in this process and everything the detectors flag replaced."""
    from quantmatrix.redaction import redact_text

    for value in resolved_values():
        if value in text:
            text = text.replace(value, REDACTED)
    return redact_text(text)


REDACTED = "<redacted>"
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Redacts log records before any handler writes them: the message (arguments merged),
    the traceback, the stack and string `extra` fields. Attach it to handlers (a filter on a
    logger does not see records propagated from its children); `install_redaction` does."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template, drop the arguments
            message = f"{record.msg} (unformattable arguments dropped)"
        record.msg, record.args = redact(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach one RedactingFilter to every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def live_secrets() -> Iterator[SecretValue]:
    """The secrets currently resolved in this process (for tests and diagnostics: names only are printable)."""
    return iter(list(_RESOLVED))
