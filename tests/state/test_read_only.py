"""The desired state is deeply read-only: every consumer (policy, diff, plan, apply, a future
reconciler that fills in defaults or resolves secrets) shares it, so no consumer may change
what another sees, and no environment may share a container with another or with its base.

Before issue 8, 13 nested objects of the sample were the same object in `_base` and in all
four environments: filling in a default in one changed all of them.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from quantmatrix.repo.loader import load
from quantmatrix.state import DesiredState, FrozenDict, FrozenList, thaw

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def state() -> DesiredState:
    return load(ROOT)


def containers(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every dict and list in `data` (itself included), with its path."""
    if isinstance(data, dict):
        yield path, data
        for key, value in data.items():
            yield from containers(value, path + (key,))
    elif isinstance(data, list):
        yield path, data
        for i, value in enumerate(data):
            yield from containers(value, path + (i,))


def every_tree(state: DesiredState) -> Iterator[tuple[str, Any]]:
    for name, layered in state.effective.items():
        yield f"effective {name}", layered.data
    for name, doc in state.base_docs.items():
        yield f"base {name}", doc.data
    for name, doc in state.release_docs.items():
        yield f"release {name}", doc.data
    for doc in state.catalog_docs:
        yield f"catalog {doc.file}", doc.data
    for name, layered in state.effective.items():
        yield f"file of {name}", layered.layers[0].data


def test_the_sample_has_nested_data_to_protect(state: DesiredState) -> None:
    nested = [p for p, _ in containers(state.effective["live"].data) if len(p) >= 3]
    assert len(nested) > 20  # the walk below is not vacuous
    assert len(state.effective) >= 4 and state.base_docs


MUTATIONS = {
    dict: [
        lambda d: d.__setitem__("x", 1),
        lambda d: d.__delitem__(next(iter(d), "x")),
        lambda d: d.update({"x": 1}),
        lambda d: d.setdefault("x", 1),
        lambda d: d.pop(next(iter(d), "x"), None),
        lambda d: d.popitem(),
        lambda d: d.clear(),
        lambda d: d.__ior__({"x": 1}),
    ],
    list: [
        lambda v: v.append(1),
        lambda v: v.extend([1]),
        lambda v: v.insert(0, 1),
        lambda v: v.__setitem__(0, 1),
        lambda v: v.__setitem__(slice(0, 1), [1]),
        lambda v: v.__delitem__(0),
        lambda v: v.pop(),
        lambda v: v.remove(v[0] if v else 1),
        lambda v: v.sort(),
        lambda v: v.reverse(),
        lambda v: v.clear(),
        lambda v: v.__iadd__([1]),
        lambda v: v.__imul__(2),
    ],
}


def test_mutation_is_refused_at_every_depth(state: DesiredState) -> None:
    tried = 0
    for label, tree in every_tree(state):
        for path, node in containers(tree):
            kind = dict if isinstance(node, dict) else list
            assert type(node) is (FrozenDict if kind is dict else FrozenList), (
                f"{label} {path} is a plain {kind.__name__}"
            )
            before = json.dumps(node, sort_keys=True)
            for mutate in MUTATIONS[kind]:
                with pytest.raises(TypeError, match="read-only"):
                    mutate(node)
                tried += 1
            assert json.dumps(node, sort_keys=True) == before, f"{label} {path} changed"
    assert tried > 1000


def test_no_container_is_shared_between_environments_or_with_a_file(state: DesiredState) -> None:
    owner: dict[int, str] = {}
    for label, tree in every_tree(state):
        for path, node in containers(tree):
            assert id(node) not in owner, f"{label} {path} is the same object as one in {owner.get(id(node))}"
            owner[id(node)] = label


def test_a_consumer_that_fills_in_defaults_cannot_affect_another_environment(state: DesiredState) -> None:
    paper_before = json.dumps(state.effective["paper"].data, sort_keys=True)
    base_before = json.dumps(state.base_docs["_base"].data, sort_keys=True)
    live = state.effective["live"].data
    # in place: refused, whatever the depth
    with pytest.raises(TypeError):
        live["spec"]["risk"].setdefault("max_leverage", 3)
    with pytest.raises(TypeError):
        live["spec"]["redis"]["url"] = "redis://resolved-secret"
    # on its own copy: allowed, and the copy is the consumer's alone
    for own in (thaw(live), copy.deepcopy(live)):
        assert type(own) is dict and type(own["spec"]["strategies"]) is list
        own["spec"]["risk"].setdefault("max_leverage", 3)
        own["spec"]["redis"]["url"] = "redis://resolved-secret"
        own["spec"]["strategies"].append({"name": "x"})
        assert "max_leverage" not in state.effective["live"].data["spec"]["risk"]
    assert json.dumps(state.effective["paper"].data, sort_keys=True) == paper_before
    assert json.dumps(state.base_docs["_base"].data, sort_keys=True) == base_before


def test_the_state_and_its_models_are_read_only_at_the_top_too(state: DesiredState) -> None:
    with pytest.raises(TypeError):
        state.effective["extra"] = state.effective["live"]  # type: ignore[index]
    with pytest.raises((TypeError, AttributeError)):
        state.releases.clear()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        state.source = "elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.effective["live"].layers[0].positions[("spec",)] = (1, 1)  # type: ignore[index]
    with pytest.raises(ValidationError):
        state.environments["live"].spec.risk.max_order_notional = 10**9  # type: ignore[misc]


def model_containers(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, BaseModel):
        for name, item in value.__dict__.items():
            yield from model_containers(item, f"{path}.{name}")
    elif isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from model_containers(item, f"{path}[{key!r}]")
    elif isinstance(value, list):
        yield path, value
        for i, item in enumerate(value):
            yield from model_containers(item, f"{path}[{i}]")


def test_the_models_lists_and_dicts_are_frozen_too(state: DesiredState) -> None:
    models: list[tuple[str, BaseModel]] = [*state.environments.items(), *state.releases.items()]
    if state.catalog is not None:
        models.append(("catalog", state.catalog))
    found = 0
    for label, model in models:
        for _path, node in model_containers(model, label):
            kind = dict if isinstance(node, dict) else list
            for mutate in MUTATIONS[kind]:
                with pytest.raises(TypeError):
                    mutate(node)
            found += 1
    assert found > 50
    live = state.environments["live"]
    assert live.spec.strategies and live.model_dump()["spec"]["strategies"][0]["name"] == live.spec.strategies[0].name


def test_frozen_data_reads_as_json_and_stays_frozen_through_pickle(state: DesiredState) -> None:
    live = state.effective["live"].data
    assert json.loads(json.dumps(live)) == thaw(live)
    again = pickle.loads(pickle.dumps(live))
    assert again == live and type(again) is FrozenDict and type(again["spec"]["strategies"]) is FrozenList
    with pytest.raises(TypeError):
        again["spec"]["strategies"].append(1)
