"""The models on their own: what a valid environment, release and catalog are.

Each test starts from a sample document as the loader would hand it over (effective,
after layering) and changes one thing.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from quantmatrix.model import Environment, EnvironmentBase, Mode, Release, SecretCatalog
from quantmatrix.repo.loader import load

ROOT = Path(__file__).resolve().parents[2]
_STATE = load(ROOT)


def live() -> dict[str, Any]:
    return copy.deepcopy(_STATE.effective["live"].data)


def release() -> dict[str, Any]:
    return copy.deepcopy(_STATE.release_docs["2026.11.1"].data)


def errors(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(e["loc"], e["type"]) for e in caught.value.errors()]


def test_the_samples_are_valid() -> None:
    assert Environment.model_validate(live()).spec.mode is Mode.live
    assert Release.model_validate(release()).spec.strategies["pairs_stat_arb"] == "0.9.1"
    catalog = SecretCatalog.model_validate(_STATE.catalog_docs[0].data)
    assert catalog.spec.secrets["QM_LIVE_BROKER_SECRET"].scope is Mode.live
    assert EnvironmentBase.model_validate(_STATE.base_docs["_base"].data).metadata.name == "_base"


@pytest.mark.parametrize("version", ["1.4.2", "0.9.1", "2026.11.0", "1.0.0-rc.1", "1.0.0+build.7", "10.20.30"])
def test_exact_versions_are_accepted(version: str) -> None:
    data = live()
    data["spec"]["strategies"][0]["version"] = version
    assert Environment.model_validate(data).spec.strategies[0].version == version


@pytest.mark.parametrize(
    "version",
    [
        "latest",
        "LATEST",
        "*",
        "1.*",
        "1.4.x",
        "^1.4.2",
        "~1.4.2",
        ">=1.4.2",
        "1.4.2 - 1.5.0",
        "1.4",
        "1",
        "v1.4.2",
        "01.4.2",
        "1.4.2\n",
        "",
    ],
)
def test_floating_versions_are_rejected(version: str) -> None:
    data = live()
    data["spec"]["strategies"][0]["version"] = version
    assert errors(Environment, data) == [(("spec", "strategies", 0, "version"), "value_error")]


@pytest.mark.parametrize("number", [1.2, 2, 2026.11])
def test_a_version_read_as_a_number_is_rejected_with_a_clear_message(number: float) -> None:
    data = release()
    data["spec"]["components"]["api"] = number
    with pytest.raises(ValidationError) as caught:
        Release.model_validate(data)
    assert f"{number} is a number, not an exact version" in str(caught.value)


def test_the_release_name_is_an_exact_version() -> None:
    data = release()
    data["metadata"]["name"] = "latest"
    assert errors(Release, data) == [(("metadata", "name"), "value_error")]


@pytest.mark.parametrize(
    "limit",
    ["max_order_notional", "max_position_notional", "max_gross_exposure", "max_daily_loss", "max_orders_per_minute"],
)
@pytest.mark.parametrize("value", [0, -1])
def test_risk_limits_are_positive(limit: str, value: int) -> None:
    data = live()
    data["spec"]["risk"][limit] = value
    assert errors(Environment, data) == [(("spec", "risk", limit), "greater_than")]


def test_capital_is_positive() -> None:
    data = live()
    data["spec"]["capital"]["limit"] = 0
    assert errors(Environment, data) == [(("spec", "capital", "limit"), "greater_than")]


def test_a_missing_mode_is_an_error_never_a_default() -> None:
    data = live()
    del data["spec"]["mode"]
    assert errors(Environment, data) == [(("spec", "mode"), "missing")]


def test_an_unknown_mode_is_an_error() -> None:
    data = live()
    data["spec"]["mode"] = "production"
    assert errors(Environment, data) == [(("spec", "mode"), "enum")]


@pytest.mark.parametrize(
    ("path", "model"),
    [
        (("spec", "risk"), Environment),
        (("spec", "execution"), Environment),
        (("spec",), Environment),
        ((), Environment),
        (("spec", "rollback"), Release),
        (("spec", "validation", "paper"), Release),
    ],
)
def test_unknown_fields_are_errors(path: tuple[str, ...], model: type[BaseModel]) -> None:
    data = live() if model is Environment else release()
    if model is Release:
        data["spec"]["validation"] = {
            "paper": {"environment": "paper", "started": "2026-11-17", "completed": "2026-11-24", "result": "passed"}
        }
    node = data
    for part in path:
        node = node[part]
    node["surprise"] = True
    assert errors(model, data) == [((*path, "surprise"), "extra_forbidden")]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        (("risk", "max_daily_loss"), "1500", "float_type"),
        (("risk", "max_orders_per_minute"), 2.5, "int_type"),
        (("risk", "max_orders_per_minute"), True, "int_type"),
        (("execution", "routes_live_orders"), "yes", "bool_type"),
        (("execution", "routes_live_orders"), 1, "bool_type"),
        (("ui", "banner"), 5, "string_type"),
        (("blocked_symbols",), "GME", "list_type"),
    ],
)
def test_types_are_strict(field: tuple[str, ...], value: Any, kind: str) -> None:
    data = live()
    parent = data["spec"]
    for part in field[:-1]:
        parent = parent[part]
    parent[field[-1]] = value
    assert errors(Environment, data) == [(("spec", *field), kind)]


def test_dates_are_written_yyyy_mm_dd() -> None:
    data = live()
    assert Environment.model_validate(data).spec.approvals.go_live_checklist.at.isoformat() == "2026-11-11"
    data["spec"]["approvals"]["go_live_checklist"]["at"] = 20261111
    assert errors(Environment, data) == [(("spec", "approvals", "go_live_checklist", "at"), "value_error")]


def test_credentials_must_be_secret_references() -> None:
    data = live()
    data["spec"]["execution"]["credentials"]["key_id"] = "AKIA-plain-text"
    assert errors(Environment, data) == [(("spec", "execution", "credentials", "key_id"), "model_type")]


def test_a_required_connection_needs_a_url() -> None:
    data = live()
    del data["spec"]["redis"]["url"]
    assert errors(Environment, data) == [(("spec", "redis"), "value_error")]


def test_a_strategy_listed_twice_names_the_second_entry() -> None:
    data = live()
    data["spec"]["strategies"].append(copy.deepcopy(data["spec"]["strategies"][0]))
    with pytest.raises(ValidationError) as caught:
        Environment.model_validate(data)
    (error,) = caught.value.errors()
    assert error["loc"] == ("spec", "strategies")
    assert error["ctx"]["at"] == (2, "name")


def test_defaults_favour_non_live() -> None:
    data = live()
    del data["spec"]["execution"]["routes_live_orders"]
    for strategy in data["spec"]["strategies"]:
        del strategy["enabled"]
    spec = Environment.model_validate(data).spec
    assert spec.execution.routes_live_orders is False
    assert not any(s.enabled for s in spec.strategies)


def test_models_are_immutable() -> None:
    env = Environment.model_validate(live())
    with pytest.raises(ValidationError):
        env.spec.risk.max_daily_loss = 1e9  # type: ignore[misc]


def test_infinity_is_not_a_limit() -> None:
    data = live()
    data["spec"]["risk"]["max_daily_loss"] = float("inf")
    assert errors(Environment, data) == [(("spec", "risk", "max_daily_loss"), "finite_number")]


def test_a_catalog_entry_has_exactly_one_provider() -> None:
    data = copy.deepcopy(_STATE.catalog_docs[0].data)
    data["spec"]["secrets"]["QM_LIVE_BROKER_SECRET"]["provider"] = {"env": "QM_X", "file": "/run/secrets/x"}
    assert errors(SecretCatalog, data) == [(("spec", "secrets", "QM_LIVE_BROKER_SECRET", "provider"), "value_error")]


def test_base_names_start_with_an_underscore() -> None:
    data = copy.deepcopy(_STATE.base_docs["_base"].data)
    data["metadata"]["name"] = "base"
    assert errors(EnvironmentBase, data) == [(("metadata", "name"), "string_pattern_mismatch")]
