"""A repository's `policies/settings.yaml` over the built-in settings, within limits
(quantmatrix/policy/overrides.py): thresholds tuned, safety settings only tightened, lists and
detectors only extended, everything else locked; each refusal at its line, exit 2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quantmatrix.policy.builtin import BUILTIN_DIR, PackageSource
from quantmatrix.policy.overrides import LIMITS, limit_of, merge_settings
from quantmatrix.repo.yamlfile import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"
Qm = Callable[..., tuple[int, str, str]]


def builtin_settings() -> dict[str, Any]:
    return dict(parse_yaml("settings.yaml", PackageSource().read(f"{BUILTIN_DIR}/settings.yaml")).data)


def merge(text: str) -> tuple[dict[str, Any], list[str]]:
    doc = parse_yaml("policies/settings.yaml", text.encode())
    merged, problems = merge_settings(builtin_settings(), doc.data, doc.file, doc.position)
    return merged, [str(p) for p in problems]


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    root = tmp_path / "consumer"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "policies").mkdir()
    return root


def check(qm: Qm, root: Path, settings: str) -> tuple[int, str, str]:
    (root / "policies" / "settings.yaml").write_text(settings)
    return qm("check", root, "--today", TODAY, "--format", "json")


# --- through the gate -----------------------------------------------------------------------


def test_a_threshold_override_takes_effect(qm: Qm, consumer: Path) -> None:
    code, out, err = check(qm, consumer, "risk_ceilings:\n  paper:\n    max_gross_exposure: 150000\n")
    assert code == 0, err  # QM-CFG-005 is a warning
    (warning,) = [f for f in json.loads(out)["findings"] if f["id"] == "QM-CFG-005"]
    assert warning["file"] == "environments/paper.yaml" and "max_gross_exposure" in warning["message"]
    code, out, _ = check(qm, consumer, "risk_ceilings:\n  paper:\n    max_gross_exposure: 900000\n")
    assert "QM-CFG-005" not in {f["id"] for f in json.loads(out)["findings"]}


def test_a_secret_format_the_repository_adds_is_found_by_the_gate(qm: Qm, consumer: Path) -> None:
    paper = consumer / "environments" / "paper.yaml"
    paper.write_text(
        paper.read_text().replace(
            "description: Production-like validation without real capital.", "description: acme_abcdefghij0123456789"
        )
    )
    code, out, _ = check(qm, consumer, "waivers:\n  max_days: 90\n")
    assert code == 0 and "QM-CFG-002" not in {
        f["id"] for f in json.loads(out)["findings"]
    }  # not a secret to the built-in detectors
    code, out, err = check(
        qm, consumer, "secret_scan:\n  formats:\n    an ACME deploy key: '\\bacme_[a-z0-9]{20}\\b'\n"
    )
    assert code == 1, err
    (found,) = [f for f in json.loads(out)["findings"] if f["id"] == "QM-CFG-002"]
    assert found["file"] == "environments/paper.yaml" and "an ACME deploy key" in found["message"]
    assert "acme_abcdefghij0123456789" not in out


@pytest.mark.parametrize(
    "settings, where, message",
    [
        ("waivers:\n  max_days: 3650\n", "2:3: waivers.max_days", "may only be lowered"),
        ("change:\n  min_observation_days: 1\n", "2:3: change.min_observation_days", "may only be raised"),
        (
            "first_live_release:\n  max_capital: 10000000\n",
            "2:3: first_live_release.max_capital",
            "may only be lowered",
        ),
        ("secret_scan:\n  min_token_length: 64\n", "2:3: secret_scan.min_token_length", "may only be lowered"),
        (
            "secret_scan:\n  credential_key: 'nothing$'\n",
            "2:3: secret_scan.credential_key",
            "is locked: a repository may not change it",
        ),
        ("waivers:\n  max_dayz: 10\n", "2:3: waivers.max_dayz", "not a setting of the built-in pack"),
        (
            "hosts:\n  brokers:\n    alpaca:\n      live: api.alpaca.markets\n",
            "4:7: hosts.brokers.alpaca.live",
            "must be a list",
        ),
        ("waivers:\n  max_days: '30'\n", "2:3: waivers.max_days", "must be a number"),
        ("waivers:\n  max_days: true\n", "2:3: waivers.max_days", "must be a number"),
    ],
)
def test_weakening_or_unknown_settings_are_refused_at_their_line(
    qm: Qm, consumer: Path, settings: str, where: str, message: str
) -> None:
    code, out, err = check(qm, consumer, settings)
    assert code == 2 and f"policies/settings.yaml:{where}: " in err and message in err, err


def test_a_locked_setting_may_be_restated_but_not_changed(qm: Qm, consumer: Path) -> None:
    assert check(qm, consumer, "risk_ceilings:\n  currency: USD\nbrokers:\n  dry_run: [dry-run]\n")[0] == 0
    code, _, err = check(qm, consumer, "live_evidence:\n  reconciliation_max_age_days: 7\n")
    assert code == 0, err


def test_every_refusal_is_reported_not_only_the_first(qm: Qm, consumer: Path) -> None:
    code, _, err = check(qm, consumer, "waivers:\n  max_days: 365\nchange:\n  max_step_increase: 5\nbogus: 1\n")
    assert code == 2 and "3 problems" in err
    for where in ("2:3: waivers.max_days", "4:3: change.max_step_increase", "5:1: bogus"):
        assert f"policies/settings.yaml:{where}" in err


def test_a_live_host_cannot_be_removed_so_paper_still_may_not_use_it(qm: Qm, consumer: Path) -> None:
    paper = consumer / "environments" / "paper.yaml"
    text = paper.read_text()
    assert "paper-api.alpaca.markets" in text
    paper.write_text(text.replace("paper-api.alpaca.markets", "api.alpaca.markets"))
    code, out, err = check(
        qm, consumer, "hosts:\n  brokers:\n    alpaca:\n      live: []\n      paper: [api.alpaca.markets]\n"
    )
    assert code == 1, err
    assert {"QM-SEP-009"} <= {f["id"] for f in json.loads(out)["findings"]}


# --- the merge itself -----------------------------------------------------------------------


def test_lists_and_detectors_are_added_to_the_built_in_ones() -> None:
    merged, problems = merge(
        "hosts:\n  brokers:\n    alpaca:\n      live: [api.eu.alpaca.markets]\n    ibkr:\n      paper: [paper.ibkr.example]\n"
        "brokers:\n  dry_run: [acme-dry-run]\n"
        "secret_scan:\n  formats:\n    an ACME key: '\\bacme_[a-z0-9]{20}\\b'\n"
    )
    assert problems == []
    assert merged["hosts"]["brokers"]["alpaca"]["live"] == ["api.alpaca.markets", "api.eu.alpaca.markets"]
    assert merged["hosts"]["brokers"]["alpaca"]["paper"] == ["paper-api.alpaca.markets"]
    assert merged["hosts"]["brokers"]["ibkr"] == {"paper": ["paper.ibkr.example"]}
    assert merged["brokers"]["dry_run"] == ["dry-run", "acme-dry-run"]
    assert (
        "an ACME key" in merged["secret_scan"]["formats"]
        and len(merged["secret_scan"]["formats"]) == len(builtin_settings()["secret_scan"]["formats"]) + 1
    )


def test_a_built_in_detector_cannot_be_changed() -> None:
    name = next(iter(builtin_settings()["secret_scan"]["formats"]))
    _, problems = merge(f"secret_scan:\n  formats:\n    {name}: 'never-matches'\n")
    assert len(problems) == 1 and "is built in and cannot be changed" in problems[0]


def test_the_repository_section_is_free_form_and_merging_leaves_the_built_in_settings_alone() -> None:
    before = builtin_settings()
    merged, problems = merge(
        "repository:\n  desk: equities\n  caps: {paper: 3}\nrisk_ceilings:\n  live:\n    max_daily_loss: 1000\n"
    )
    assert problems == []
    assert merged["repository"] == {"desk": "equities", "caps": {"paper": 3}}
    assert merged["risk_ceilings"]["live"]["max_daily_loss"] == 1000
    assert before == builtin_settings() and before["risk_ceilings"]["live"]["max_daily_loss"] != 1000


def test_a_settings_file_that_is_not_a_mapping_is_refused(qm: Qm, consumer: Path) -> None:
    code, _, err = check(qm, consumer, "- waivers\n")
    assert code == 2 and "policies/settings.yaml:1:1:" in err


def test_every_limit_names_a_built_in_setting() -> None:
    """A limit that names no setting would be dead (a renamed setting silently locked)."""
    settings = builtin_settings()

    def exists(parts: list[str], node: Any) -> bool:
        if not parts:
            return True
        if not isinstance(node, dict):
            return False
        keys = list(node) if parts[0] == "*" else [parts[0]] if parts[0] in node else []
        return any(exists(parts[1:], node[key]) for key in keys)

    dead = [key for key, limit in LIMITS.items() if limit != "own" and not exists(key.split("."), settings)]
    assert dead == []
    assert limit_of(("waivers", "max_days")) == "lower" and limit_of(("secret_scan", "credential_key")) is None
