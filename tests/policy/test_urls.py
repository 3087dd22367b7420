"""`quantmatrix/policy/urls.py`: which fields are parsed, and the Rego fixtures agree with it."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import regorus
from pydantic import BaseModel

from quantmatrix.model.common import Url
from quantmatrix.model.environment import EnvironmentSpec
from quantmatrix.policy.input import policy_input
from quantmatrix.policy.urls import URL_FIELDS, parse_url
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source

ROOT = Path(__file__).resolve().parents[2]


URL_CONSTRAINT = Url.__metadata__[0]  # the StringConstraints that make a str a Url


def _url_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Paths of every field typed `Url` (optional or not) below `model`."""
    found: set[tuple[str, ...]] = set()
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation) or (field.annotation,)
        constraints = [*field.metadata, *(m for arg in args for m in getattr(arg, "__metadata__", ()))]
        if URL_CONSTRAINT in constraints:
            found.add((*prefix, name))
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found |= _url_fields(arg, (*prefix, name))
    return found


def test_every_url_field_of_the_model_is_parsed() -> None:
    assert _url_fields(EnvironmentSpec) == set(URL_FIELDS)


def test_rego_fixture_urls_are_what_the_parser_gives() -> None:
    engine = regorus.Engine()
    engine.add_policy("fixtures_test.rego", (ROOT / "quantmatrix" / "policies" / "fixtures_test.rego").read_text())
    urls = json.loads(engine.eval_query_as_json("data.qm.fixtures.urls"))["result"][0]["expressions"][0]["value"]
    assert urls
    for raw, parsed in urls.items():
        assert parse_url(raw) == parsed, raw


def test_policy_input_carries_every_url_of_the_sample() -> None:
    state = load_source(open_source(ROOT))
    document = policy_input(state, today="2026-11-28")
    assert document["urls"]["https://paper-api.alpaca.markets"]["host"] == "paper-api.alpaca.markets"
    for env in document["environments"].values():
        for section, field in URL_FIELDS:
            raw = (env["spec"].get(section) or {}).get(field)
            if raw is not None:
                assert document["urls"][raw]["valid"], raw
