"""The policy pack: the built-in pack of the package plus the repository's own `policies/`.

The built-in pack (`quantmatrix/policies/`, `quantmatrix/policy/builtin.py`) is the default
and cannot be switched off or replaced by a repository. The repository's `policies/` (read
from the same `Source` as the desired state, so `qm check --ref main` judges `main` with the
additions of `main`) may:

- **add rules**: modules in their own package, `qm.rules.<area>` with an area the built-in
  pack does not use (helpers in a package outside `qm`), with METADATA ids of their own. A
  module in a built-in package could extend or redefine the pack's helpers (Rego merges
  modules of one package), so it is refused; so is an id of the built-in pack, or any id
  starting `QM-` (reserved, so that a later version's new rule cannot collide);
- **override settings** within limits (`quantmatrix/policy/overrides.py`).

Disabling a built-in rule is possible only through a bounded waiver (`policies/waivers.yaml`).
Every refusal is a `PolicyError` at its file and line: the gate stops with exit 2.
`_test.rego` files are left out unless the caller runs the pack's unit tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from quantmatrix.errors import ConfigError, PolicyError, Problem
from quantmatrix.policy import builtin as builtin_pack
from quantmatrix.policy.builtin import BUILTIN_DIR
from quantmatrix.policy.findings import RuleMeta
from quantmatrix.policy.metadata import rules_by_id
from quantmatrix.policy.overrides import merge_settings
from quantmatrix.repo.source import Source
from quantmatrix.repo.unsafe_text import describe, first_unsafe

POLICY_DIR = "policies"
SETTINGS_FILE = "settings.yaml"
TEST_SUFFIX = "_test.rego"
RESERVED_ID_PREFIX = "QM-"

Builtin = Source | None | Literal["installed"]

# A module's `package` line (the one pattern the gate and `qm policy test` both read it with):
# a Rego name, then dotted parts.
PACKAGE_LINE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)


@dataclass(frozen=True)
class Pack:
    """Modules as (file, text), `data.qm.settings`, rule id → METADATA, and which module
    files are the built-in pack's (the others are the repository's)."""

    modules: tuple[tuple[str, str], ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, RuleMeta] = field(default_factory=dict)
    builtin_files: frozenset[str] = frozenset()

    def data(self) -> dict[str, Any]:
        """The base document every engine loads under `data`."""
        return {"qm": {"settings": dict(self.settings)}}


def _text(source: Source, path: str) -> str:
    """The module's text. Control and bidi characters are refused, as in YAML: in code they
    can make a rule read differently from what it does ("Trojan Source")."""
    try:
        text = source.read(path).decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(Problem(path, message="not UTF-8 text")) from None
    except ConfigError as exc:
        raise PolicyError(exc.problems) from None
    at = first_unsafe(text.replace("\r\n", "\n"))
    if at >= 0:
        lines = text.replace("\r\n", "\n")[:at].split("\n")
        char = text.replace("\r\n", "\n")[at]
        raise PolicyError(
            Problem(path, len(lines), len(lines[-1]) + 1, message=f"{describe(char)} is not allowed in a policy file")
        )
    return text


def _modules(source: Source, policy_dir: str, with_tests: bool) -> tuple[tuple[str, str], ...]:
    try:
        files = source.files(policy_dir, (".rego",))
    except ConfigError as exc:  # e.g. policies/ is a symlink out of the repository
        raise PolicyError(exc.problems) from None
    return tuple((path, _text(source, path)) for path in files if with_tests or not path.endswith(TEST_SUFFIX))


def _yaml(source: Source, path: str) -> Any:
    from quantmatrix.repo.yamlfile import parse_yaml  # refuses hostile YAML with a location

    try:
        return parse_yaml(path, source.read(path))
    except ConfigError as exc:
        raise PolicyError(exc.problems) from None


def _settings(builtin: Source | None, source: Source, policy_dir: str) -> dict[str, Any]:
    """The built-in settings with the repository's merged over them (within limits); without a
    built-in pack, the repository's as they are."""
    path = f"{policy_dir}/{SETTINGS_FILE}"
    own = _yaml(source, path) if source.exists(path) else None
    if builtin is None:
        return dict(own.data) if own is not None else {}
    base = dict(_yaml(builtin, f"{BUILTIN_DIR}/{SETTINGS_FILE}").data)
    if own is None:
        return base
    merged, problems = merge_settings(base, own.data, path, own.position)
    if problems:
        raise PolicyError(problems)
    return merged


def _check_secret_scan(settings: Mapping[str, Any], path: str, rego: str) -> None:
    """QM-CFG-001/002 read their detectors from settings (`secret_scan`): without them the
    rules would silently find nothing, so a pack whose rules read them and whose settings
    lack them fails closed. (An older pack that defines its detectors in Rego, e.g. the base
    branch's under `--base-pack`, needs none.)"""
    scan = settings.get("secret_scan")
    formats = scan.get("formats") if isinstance(scan, Mapping) else None
    key = scan.get("credential_key") if isinstance(scan, Mapping) else None
    if "data.qm.settings.secret_scan.formats" in rego and not (
        isinstance(formats, Mapping) and formats and all(isinstance(v, str) and v for v in formats.values())
    ):
        raise PolicyError(
            Problem(
                path,
                path="secret_scan.formats",
                message="missing or not a mapping of detector name to regular expression; QM-CFG-002 cannot run without it",
            )
        )
    if "data.qm.settings.secret_scan.credential_key" in rego and not (isinstance(key, str) and key):
        raise PolicyError(
            Problem(
                path,
                path="secret_scan.credential_key",
                message="missing or not a regular expression; QM-CFG-001 cannot run without it",
            )
        )


def _rules_text(modules: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(text for path, text in modules if not path.endswith(TEST_SUFFIX))


_PACKAGE_KEYWORD = re.compile(r"^\s*package\b", re.MULTILINE)  # where to point, however it is written
_AREA = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _package_problems(modules: tuple[tuple[str, str], ...], reserved: set[str]) -> list[Problem]:
    """A repository module must live in a package of its own. Its package is read by the Rego
    parser itself (not a regex), so `package qm["lib"]` or comments cannot disguise it."""
    import regorus

    from quantmatrix.policy.engines.regorus_errors import rego_problem

    problems = []
    for path, text in modules:
        try:
            package = regorus.Engine().add_policy(path, text).removeprefix("data.")
        except RuntimeError as error:
            problems.append(rego_problem(error, path))
            continue
        area = package.removeprefix("qm.rules.")
        own_rules = package.startswith("qm.rules.") and _AREA.match(area) is not None and package not in reserved
        outside = package != "qm" and not package.startswith(("qm.", "data.", "data["))
        if own_rules or outside:
            continue
        match = _PACKAGE_KEYWORD.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        problems.append(
            Problem(
                path,
                line,
                1,
                "package",
                f"package {package} is reserved for the built-in pack: a repository module in it could "
                "extend or redefine the pack's rules and helpers. Put rules in package qm.rules.<area> with an area of your own, "
                "helpers in a package outside qm",
            )
        )
    return problems


def _id_problems(own: Mapping[str, RuleMeta], builtin: Mapping[str, RuleMeta]) -> list[Problem]:
    problems = []
    for meta in own.values():
        if meta.id in builtin:
            other = builtin[meta.id]
            problems.append(
                Problem(
                    meta.file,
                    meta.line,
                    1,
                    "METADATA",
                    f"{meta.id} is a rule of the built-in pack ({other.file}:{other.line}): a repository cannot replace it; give your rule an id of its own, and accept a built-in finding only with a waiver (policies/waivers.yaml)",
                )
            )
        elif meta.id.startswith(RESERVED_ID_PREFIX):
            problems.append(
                Problem(
                    meta.file,
                    meta.line,
                    1,
                    "METADATA",
                    f"{meta.id}: ids starting {RESERVED_ID_PREFIX} are reserved for the built-in pack; use a prefix of your own (e.g. ACME-RISK-001)",
                )
            )
    return problems


def load_pack(
    source: Source, policy_dir: str = POLICY_DIR, *, with_tests: bool = False, builtin: Builtin = "installed"
) -> Pack:
    """The built-in pack (`builtin`: "installed", a `Source` holding `quantmatrix/policies/`,
    or None for none) plus every `.rego` file of `policy_dir` in `source` (tests only if
    asked), their METADATA and the merged settings."""
    base = builtin_pack.installed() if builtin == "installed" else builtin
    own = _modules(source, policy_dir, with_tests)
    if base is None:
        if not any(not path.endswith(TEST_SUFFIX) for path, _ in own):
            raise PolicyError(Problem(f"{source.label}/{policy_dir}", message="no policy files (*.rego) found"))
        rules = rules_by_id([(path, text) for path, text in own if not path.endswith(TEST_SUFFIX)])
        settings = _settings(None, source, policy_dir)
        _check_secret_scan(settings, f"{policy_dir}/{SETTINGS_FILE}", _rules_text(own))
        return Pack(own, MappingProxyType(settings), MappingProxyType(rules))
    built = _modules(base, BUILTIN_DIR, with_tests)
    if not any(not path.endswith(TEST_SUFFIX) for path, _ in built):
        raise PolicyError(
            Problem(
                BUILTIN_DIR,
                message=f"the built-in policy pack is missing from {base.label}: reinstall quantmatrix-deploy",
            )
        )
    reserved = {"qm", "qm.rules", "qm.settings"} | {m.group(1) for _, text in built if (m := PACKAGE_LINE.search(text))}
    problems = _package_problems(own, reserved)
    if problems:
        raise PolicyError(problems)
    builtin_rules = rules_by_id([(path, text) for path, text in built if not path.endswith(TEST_SUFFIX)])
    own_rules = rules_by_id([(path, text) for path, text in own if not path.endswith(TEST_SUFFIX)])
    problems = _id_problems(own_rules, builtin_rules)
    if problems:
        raise PolicyError(problems)
    settings = _settings(base, source, policy_dir)
    _check_secret_scan(settings, f"{BUILTIN_DIR}/{SETTINGS_FILE}", _rules_text(built + own))
    return Pack(
        built + own,
        MappingProxyType(settings),
        MappingProxyType({**builtin_rules, **own_rules}),
        frozenset(path for path, _ in built),
    )
