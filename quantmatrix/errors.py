"""Problems with locations, the errors that carry them, and the CLI's exit codes.

Anything found wrong anywhere becomes a `Problem`: where it is (file, line, column, field
path) or, when it is about no file, what it is about (`subject`: an OPA URL, a service, a
step), and the message.
Code raises a `QMError` subclass holding problems; only the CLI edge renders them and
turns them into an exit code, so nothing deeper prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from quantmatrix.redaction import redact_text


class ExitCode(IntEnum):
    OK = 0
    VIOLATIONS = 1  # policy denials (or warnings with --fail-on-warn)
    INVALID = 2  # invalid input, usage error, broken policy, engine failure: fail closed
    UNAVAILABLE = 3  # a service the command needs cannot be reached, or another apply holds the lock
    DEPLOY_FAILED = 4  # an apply failed; the message says what state it left (rolled back, or halted)
    CHANGES = 5  # `qm plan --detailed-exitcode`: the plan changes something
    INTERNAL = 70  # a bug: the traceback goes to a log file, never to the terminal


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, where it is. `file` is empty when the problem is about no file; then
    `subject` says what it is about (`opa`, `redis`, `--to`), and reports give it no file
    location (no SARIF location, no `file=` annotation). `line`/`col` are 1-based; 0 means
    unknown."""

    file: str = ""
    line: int = 0
    col: int = 0
    path: str = ""
    message: str = ""
    subject: str = ""

    def __post_init__(self) -> None:
        # messages name the field, never the value; this is the net under that rule: a value
        # echoed anyway (`'eyJ…' is not an exact version`, `spec.AKIA…`) is redacted here
        for name in ("file", "path", "message", "subject"):
            object.__setattr__(self, name, redact_text(getattr(self, name)))

    def location(self) -> str:
        """`file:line:col`, the file alone, or the subject of a problem about no file."""
        if not self.file:
            return self.subject
        if self.line:
            return f"{self.file}:{self.line}:{self.col or 1}"
        return self.file

    def as_dict(self) -> dict[str, str | int]:
        """The JSON shape of a problem: `file`/`line`/`col` only when it is about a file,
        `subject` only when it is not."""
        where: dict[str, str | int] = (
            {"file": self.file, "line": self.line, "col": self.col} if self.file else {"subject": self.subject}
        )
        return {**where, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return ": ".join(part for part in (self.location(), self.path, self.message) if part)


class QMError(Exception):
    """Base of the errors the CLI knows how to render; `exit_code` says how it ends."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(QMError):
    """The desired state (YAML files, git ref, waivers) is invalid or unreadable."""


class PolicyError(QMError):
    """The policy pack is broken or the engine failed: the gate fails closed."""


class RuntimeUnavailable(QMError):
    """A service (OPA server, PostgreSQL, Redis, the QuantMatrix API) cannot be reached."""

    exit_code = ExitCode.UNAVAILABLE


class Refused(QMError):
    """An apply (or resume) refused by a gate: policy, approvals, deploy window, evidence, checks."""

    exit_code = ExitCode.VIOLATIONS


class DeployFailed(QMError):
    """A deployment step failed; the message says what was done about it and what state is left."""

    exit_code = ExitCode.DEPLOY_FAILED

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = list(problems)  # in the order things happened, not sorted
