"""The policy pack as read from a `Source`: Rego modules, settings and rule METADATA.

Read from the same source as the desired state, so `qm check --ref main` judges the state of
`main` with the policies of `main`. `_test.rego` files are left out unless the caller runs
the pack's unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from quantmatrix.errors import ConfigError, PolicyError, Problem
from quantmatrix.policy.findings import RuleMeta
from quantmatrix.policy.metadata import rules_by_id
from quantmatrix.repo.source import Source
from quantmatrix.repo.unsafe_text import describe, first_unsafe

POLICY_DIR = "policies"
SETTINGS_FILE = "settings.yaml"
TEST_SUFFIX = "_test.rego"


@dataclass(frozen=True)
class Pack:
    """Modules as (file, text), `data.qm.settings`, and rule id → METADATA."""

    modules: tuple[tuple[str, str], ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, RuleMeta] = field(default_factory=dict)

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
        raise PolicyError(Problem(path, len(lines), len(lines[-1]) + 1, message=f"{describe(char)} is not allowed in a policy file"))
    return text


def _settings(source: Source, policy_dir: str) -> dict[str, Any]:
    path = f"{policy_dir}/{SETTINGS_FILE}"
    if not source.exists(path):
        return {}
    from quantmatrix.repo.yamlfile import parse_yaml  # refuses hostile YAML with a location

    try:
        return dict(parse_yaml(path, source.read(path)).data)
    except ConfigError as exc:
        raise PolicyError(exc.problems) from None


def _check_secret_scan(settings: Mapping[str, Any], path: str, rego: str) -> None:
    """QM-CFG-001/002 read their detectors from settings (`secret_scan`): without them the
    rules would silently find nothing, so a pack whose rules read them and whose settings
    lack them fails closed. (An older pack that defines its detectors in Rego, e.g. the base
    branch's under `--base-pack`, needs none.)"""
    scan = settings.get("secret_scan")
    formats = scan.get("formats") if isinstance(scan, Mapping) else None
    key = scan.get("credential_key") if isinstance(scan, Mapping) else None
    if "data.qm.settings.secret_scan.formats" in rego and not (isinstance(formats, Mapping) and formats and all(isinstance(v, str) and v for v in formats.values())):
        raise PolicyError(Problem(path, path="secret_scan.formats", message="missing or not a mapping of detector name to regular expression; QM-CFG-002 cannot run without it"))
    if "data.qm.settings.secret_scan.credential_key" in rego and not (isinstance(key, str) and key):
        raise PolicyError(Problem(path, path="secret_scan.credential_key", message="missing or not a regular expression; QM-CFG-001 cannot run without it"))


def load_pack(source: Source, policy_dir: str = POLICY_DIR, *, with_tests: bool = False) -> Pack:
    """Read every `.rego` file of `policy_dir` (tests only if asked) and its METADATA."""
    try:
        files = source.files(policy_dir, (".rego",))
    except ConfigError as exc:  # e.g. policies/ is a symlink out of the repository
        raise PolicyError(exc.problems) from None
    modules = tuple((path, _text(source, path)) for path in files if with_tests or not path.endswith(TEST_SUFFIX))
    if not any(not path.endswith(TEST_SUFFIX) for path, _ in modules):
        raise PolicyError(Problem(f"{source.label}/{policy_dir}", message="no policy files (*.rego) found"))
    rules = rules_by_id([(path, text) for path, text in modules if not path.endswith(TEST_SUFFIX)])
    settings = _settings(source, policy_dir)
    _check_secret_scan(settings, f"{policy_dir}/{SETTINGS_FILE}", "\n".join(text for path, text in modules if not path.endswith(TEST_SUFFIX)))
    return Pack(modules, MappingProxyType(settings), MappingProxyType(rules))
