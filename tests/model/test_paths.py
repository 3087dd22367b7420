"""`field_path`: a field path taken from a typed accessor, checked against the models' fields."""

from __future__ import annotations

import pytest

from quantmatrix.model.common import StrictModel
from quantmatrix.model.environment import Capital, EnvironmentSpec, Strategy
from quantmatrix.model.paths import field_path, read_path


class _Renamed(StrictModel):
    """`Capital` after a rename of `limit`: what an accessor written for the old name meets."""

    cap: float
    currency: str


def test_the_path_is_the_chain_of_fields_the_accessor_reads() -> None:
    assert field_path(EnvironmentSpec, lambda s: s.capital.limit) == ("capital", "limit")
    assert field_path(EnvironmentSpec, lambda s: s.execution.credentials) == ("execution", "credentials")
    assert field_path(Strategy, lambda s: s.enabled) == ("enabled",)


def test_an_optional_model_field_is_followed() -> None:
    """`Capital.last_increase` is `CapitalIncrease | None`: its fields are fields too."""
    assert field_path(Capital, lambda c: c.last_increase.previous_limit) == ("last_increase", "previous_limit")


def test_a_renamed_field_fails_with_the_model_and_the_missing_name() -> None:
    with pytest.raises(TypeError, match="_Renamed has no field 'limit'"):
        field_path(_Renamed, lambda c: c.limit)


def test_a_path_through_a_value_that_is_not_a_model_fails() -> None:
    with pytest.raises(TypeError, match="'limit' is not a model"):
        field_path(Capital, lambda c: c.limit.real)


def test_an_accessor_that_reads_no_field_fails() -> None:
    with pytest.raises(TypeError, match="must read a chain of fields"):
        field_path(Capital, lambda c: c)
    with pytest.raises(TypeError, match="must read a chain of fields"):
        field_path(Capital, lambda c: 1)


def test_read_path_reads_the_value_at_the_path() -> None:
    capital = Capital.model_validate({"limit": 50000, "currency": "USD"})
    assert read_path(capital, field_path(Capital, lambda c: c.limit)) == 50000
    assert read_path(capital, field_path(Capital, lambda c: c.currency)) == "USD"
