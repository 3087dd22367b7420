"""Types shared by every kind: the envelope, exact versions, secret references, approvals."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, cast, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints

# The envelope's version, written once: models type their field with `ApiVersion`, code
# compares with `API_VERSION`.
ApiVersion = Literal["quantmatrix.io/v1"]
API_VERSION: Final[ApiVersion] = cast(ApiVersion, get_args(ApiVersion)[0])


class StrictModel(BaseModel):
    """Unknown keys are errors, infinities and NaN are errors, models are immutable.

    Strict types: a quoted "1000" is not a number and `yes`/"false" are not booleans (YAML 1.2
    reads them as strings); coercing them would silently turn a typo into a setting."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True, strict=True)


class Mode(StrEnum):
    """Trading mode of an environment. There is no default: a missing mode is an error."""

    local = "local"
    paper = "paper"
    live = "live"
    backtest = "backtest"

    @property
    def rank(self) -> int:
        """Report order of environments, the one order every report uses: live first, then
        paper, local, backtest (most exposure to real money first)."""
        return _MODE_ORDER.index(self)

    @property
    def exposure(self) -> int:
        """How much real money the mode touches: none (local, backtest), real markets without
        real money (paper), real money (live). A change to a higher exposure is risky."""
        return 2 if self is Mode.live else 1 if self is Mode.paper else 0


_MODE_ORDER = (Mode.live, Mode.paper, Mode.local, Mode.backtest)


def mode_rank(mode: str | None) -> int:
    """`Mode.rank` for a mode given as text (as in policy results and diffs); anything that is
    not a mode sorts after every mode."""
    try:
        return Mode(mode).rank if isinstance(mode, str) else len(_MODE_ORDER)
    except ValueError:
        return len(_MODE_ORDER)


def mode_exposure(mode: object) -> int:
    """`Mode.exposure` for a mode given as data; anything that is not a mode exposes nothing."""
    try:
        return Mode(mode).exposure if isinstance(mode, str) else 0
    except ValueError:
        return 0


ModeField = Annotated[Mode, Strict(False)]  # the YAML string "live" is the enum member


# Semantic version, which also covers the CalVer releases use (2026.11.0). MAJOR, MINOR and
# PATCH have at most 18 digits (they are compared as 64-bit numbers, in Python and in Rego),
# and the whole version at most MAX_VERSION_LENGTH characters (it is also a file name).
MAX_VERSION_LENGTH = 128
_EXACT_VERSION = re.compile(
    r"^(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def is_exact_version(value: object) -> bool:
    """Whether `value` is an exact version string (also what drivers accept on a command line)."""
    return isinstance(value, str) and _EXACT_VERSION.fullmatch(value) is not None


def _not_a_number(value: Any) -> Any:
    """YAML reads `1.2` as a float: say so, rather than "must be a string"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"{value} is a number, not an exact version: pin MAJOR.MINOR.PATCH (e.g. 1.4.2)")
    return value


def _exact_version(value: str) -> str:
    if len(value) > MAX_VERSION_LENGTH:
        raise ValueError(
            f"a version of {len(value):,} characters is not an exact version: at most {MAX_VERSION_LENGTH}"
        )
    numbers = re.match(r"^(\d+)\.(\d+)\.(\d+)", value)
    if numbers and any(len(n) > 18 for n in numbers.groups()):
        raise ValueError("version number out of range: MAJOR, MINOR and PATCH have at most 18 digits")
    if not _EXACT_VERSION.fullmatch(value):
        raise ValueError(
            f"'{value}' is not an exact version: pin MAJOR.MINOR.PATCH (e.g. 1.4.2 or 2026.11.0); "
            "'latest', ranges and wildcards are not allowed"
        )
    return value


Version = Annotated[
    str,
    BeforeValidator(_not_a_number),
    AfterValidator(_exact_version),
    Field(
        description="Exact version, MAJOR.MINOR.PATCH (semver or CalVer such as 2026.11.0). No 'latest', ranges or wildcards.",
        json_schema_extra={"pattern": _EXACT_VERSION.pattern, "maxLength": MAX_VERSION_LENGTH},
    ),
]

Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$", max_length=63),
    Field(description="Lower-case name: letters, digits, '-' and '_'."),
]

SecretName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=128),
    Field(
        description="Secret name as declared in the secret catalog, environments/secrets.yaml or environments/secrets/*.yaml (UPPER_SNAKE_CASE)."
    ),
]

Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 currency code, e.g. USD."),
]

PositiveAmount = Annotated[float, Field(gt=0, description="Positive, finite amount.")]


def _iso_text(value: Any) -> Any:
    """Dates are written YYYY-MM-DD; a bare number is not a date (no epoch seconds)."""
    if not isinstance(value, (str, date)):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_text), Strict(False), Field(description="A date, YYYY-MM-DD.")]
Moment = Annotated[
    Annotated[date, Strict(False)] | Annotated[datetime, Strict(False)],
    BeforeValidator(_iso_text),
    Field(description="A date (YYYY-MM-DD) or a date and time (ISO 8601)."),
]

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

Url = Annotated[
    str,
    StringConstraints(pattern=r"^(https?|wss?|sim|file)://[^\s]+$"),
    Field(description="URL (http, https, ws, wss, or sim:// for simulated venues)."),
]


class SecretRef(StrictModel):
    """A reference to a secret by name. Secret values never appear in git."""

    secret: SecretName


class Approval(StrictModel):
    """Recorded evidence that someone approved something, and when."""

    by: Text = Field(description="Who approved (name or handle).")
    at: Day = Field(description="When (YYYY-MM-DD).")
    reference: Text | None = Field(None, description="Ticket, document or record that holds the evidence.")


class Metadata(StrictModel):
    name: str = Field(description="Name of the document; must match the file name.")
    description: Text | None = None
    labels: dict[Name, str] = Field(default_factory=dict)
