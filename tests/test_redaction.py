"""quantmatrix/redaction.py: the one home of secret detection and redaction.

The detectors are QM-CFG-002's, read from policies/settings.yaml by both the Rego pack and
Python; the agreement test runs the real rule module in the embedded engine on a corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantmatrix.policy.engines.embedded import new_interpreter, query
from quantmatrix.policy.pack import load_pack
from quantmatrix.redaction import REDACTED, _load, looks_secret, redact_text, redact_value, secret_kinds
from quantmatrix.repo.source import DirectorySource

ROOT = Path(__file__).resolve().parent.parent

# (what it is, a value holding it). Each canary is a full secret and must never survive.
SECRETS = {
    "aws key id": "AKIAIOSFODNN7EXAMPLE",
    "aws session key id": "ASIAY34FZKBOKMUTVV7A",
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "github": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "slack": "xoxb-123456789012-abcdefABCDEF",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\nQmF5ZXJzZWNyZXQ=\n-----END RSA PRIVATE KEY-----",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl",
    "url with password": "https://trader:S3cretPass@api.alpaca.markets/v2",
    "url with empty user": "redis://:hunter2hunter2@live-redis:6379/0",
    "inline password": "password=Sup3rS3cret",
    "compact assignment": "token:Zm9vYmFyYmF6",
    "bearer": "Bearer abcdefghijklmnopqrstuvwx12",
    "high entropy": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
# The secret part of each canary: what must not appear in any output.
CANARIES = {
    "aws key id": "AKIAIOSFODNN7EXAMPLE",
    "aws session key id": "ASIAY34FZKBOKMUTVV7A",
    "stripe": "4eC39HqLyjWDarjtT1zdp7dc",
    "github": "16C7e42F292c6912E7710c838347Ae178B4a",
    "slack": "123456789012-abcdefABCDEF",
    "pem": "MIIEowIBAAKCAQEA7bq9",
    "jwt": "eyJzdWIiOiIxMjM0In0",
    "url with password": "S3cretPass",
    "url with empty user": "hunter2hunter2",
    "inline password": "Sup3rS3cret",
    "compact assignment": "Zm9vYmFyYmF6",
    "bearer": "abcdefghijklmnopqrstuvwx12",
    "high entropy": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
ORDINARY = [
    "QM_PAPER_BROKER_KEY",
    "QM_PAPER_0003_HISTORICAL_MARKET_DATA_KEY_ID",
    "/run/secrets/qm_paper_0003_historical_market_data_key_id",
    "2026.11.1",
    "https://paper-api.alpaca.markets",
    "https://paper.qm.internal:8443/api?user=ops@example.com",
    "state store: postgresql://qm:***@127.0.0.1:5432/qm is unavailable",  # masked already
    "MomentumBreakoutStrategyVersionTwoFinal",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "the password rotation is documented in OPS-12",
    "Secret: rotated monthly by trading-ops; token = see vault",
    "0002_fills_exec_time_idx",
    "PA-QM-0001",
    "maria.head-of-trading",
]


def _embedded(text: str, context: str) -> str:
    return {
        "alone": text,
        "inside": f"note ({text}) rotated",
        "bracketed": f"[{text}];",
        "newline": f"see:\n{text}\nend",
    }[context]


@pytest.mark.parametrize("context", ["alone", "inside", "bracketed", "newline"])
@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_secret_redacted_alone_and_inside_longer_text(kind: str, context: str) -> None:
    text = _embedded(SECRETS[kind], context)
    assert looks_secret(text)
    out = redact_text(text)
    assert CANARIES[kind] not in out
    assert REDACTED in out
    assert not looks_secret(out)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_values_printed_as_they_are(text: str) -> None:
    assert secret_kinds(text) == frozenset()
    assert redact_text(text) == text
    assert redact_value({text: [text]}) == {text: [text]}


def test_redaction_keeps_the_words_around_a_secret() -> None:
    assert redact_text("rotate key AKIAIOSFODNN7EXAMPLE now") == "rotate key <redacted> now"
    assert redact_text("'AKIAIOSFODNN7EXAMPLE' is not declared") == "'<redacted>' is not declared"
    pem = SECRETS["pem"]
    assert redact_text(f"before\n{pem}\nafter") == "before\n<redacted>\nafter"
    # a PEM header without its END line: everything after it is the key
    assert redact_text("x -----BEGIN PRIVATE KEY-----\nMIIE\nmore") == f"x {REDACTED}"


def test_secret_kinds_name_the_detectors() -> None:
    assert secret_kinds("AKIAIOSFODNN7EXAMPLE") == {"an AWS access key id"}
    assert "a URL with an embedded password" in secret_kinds("https://u:p4ss@h")
    assert secret_kinds(SECRETS["high entropy"]) == {"a high-entropy token"}


def test_redact_value_is_deep_over_keys_values_and_lists() -> None:
    value = {
        "params": {"AKIAIOSFODNN7EXAMPLE": 1, "note": ["ok", "password=Sup3rS3cret"], "n": 5, "on": True},
        "credentials": {"key_id": {"secret": "QM_PAPER_BROKER_KEY_ID"}},
        "ref": {"secret": "AKIAIOSFODNN7EXAMPLE"},
        "tup": ("AKIAIOSFODNN7EXAMPLE",),
    }
    assert redact_value(value) == {
        "params": {REDACTED: 1, "note": ["ok", REDACTED], "n": 5, "on": True},
        "credentials": {"key_id": {"secret": "QM_PAPER_BROKER_KEY_ID"}},
        "ref": {"secret": REDACTED},
        "tup": (REDACTED,),
    }


def test_keys_redacted_alike_are_all_kept() -> None:
    value = {"AKIAIOSFODNN7EXAMPLE": 1, "ASIAY34FZKBOKMUTVV7A": 2, "plain": 3}
    assert redact_value(value) == {REDACTED: 1, f"{REDACTED} #2": 2, "plain": 3}


def test_literal_under_a_credential_named_key_redacted_at_any_depth() -> None:
    value = {
        "db_password": {"v": ["hunter2hunter2", 42, {"secret": "QM_X"}]},
        "api_key": "plain",
        "token_bucket_size": 20,
    }
    assert redact_value(value) == {
        "db_password": {"v": [REDACTED, REDACTED, {"secret": "QM_X"}]},
        "api_key": REDACTED,
        "token_bucket_size": 20,
    }


def test_missing_or_broken_detectors_fail_closed(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("secret_scan: {min_token_length: 32}\n")
    with pytest.raises(RuntimeError, match="secret detectors"):
        _load(tmp_path / "settings.yaml")
    with pytest.raises(RuntimeError, match="secret detectors"):
        _load(tmp_path / "absent.yaml")


# Python and Rego agree: one definition, two engines ------------------------------------------


@pytest.fixture(scope="module")
def rego_secret_kinds():
    interpreter = new_interpreter(load_pack(DirectorySource(ROOT)))

    def kinds(text: str) -> frozenset[str]:
        interpreter.set_input_json(json.dumps({"s": text}))
        defined, value = query(interpreter, "data.qm.rules.configuration.secret_kinds(input.s)")
        assert defined
        return frozenset(value)

    return kinds


AGREEMENT_CORPUS = [
    *(v for v in SECRETS.values()),
    *(_embedded(v, "inside") for v in SECRETS.values()),
    *ORDINARY,
    "AKIAIOSFODNN7EXAMPL",  # one short
    "xAKIAIOSFODNN7EXAMPLE",  # no word boundary
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "pwd = abc",  # too short
    "PWD: abcdefgh",
    "https://user@host/path",
    "bearer short",
    "Aa1" * 11,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1A",
    "ключ AKIAIOSFODNN7EXAMPLE é",
]


@pytest.mark.parametrize("text", AGREEMENT_CORPUS)
def test_python_and_rego_detectors_agree(text: str, rego_secret_kinds) -> None:
    assert secret_kinds(text) == rego_secret_kinds(text)


def test_the_tool_reads_the_detectors_of_the_built_in_settings_and_ships_them() -> None:
    """One file: the built-in pack's settings.yaml, package data, so a built wheel (pre-commit
    installs one) carries the same detectors (tests/policy/test_builtin_wheel.py builds one)."""
    import tomllib

    from quantmatrix.redaction import SETTINGS_FILE

    assert SETTINGS_FILE == ROOT / "quantmatrix" / "policies" / "settings.yaml"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "policies/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["quantmatrix"]
