"""`qm schema`: the committed schemas are the models' (no drift), and every sample file
validates against the schema its first line names."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from quantmatrix.model import KINDS
from quantmatrix.model.schema import kind_schema
from quantmatrix.repo.loader import load
from quantmatrix.repo.yamlfile import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "environments").glob("*.yaml")) + sorted((ROOT / "releases").glob("*.yaml"))


def validator(schema: dict) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def committed(kind: str) -> dict:
    return json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))


def test_qm_schema_writes_exactly_the_committed_schemas(tmp_path: Path, run_qm) -> None:
    result = run_qm("schema", "--out", tmp_path / "out")
    assert result.code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(p.name for p in (ROOT / "schemas").iterdir()) == sorted(f"{k}.schema.json" for k in KINDS)
    for name in written:
        assert (tmp_path / "out" / name).read_bytes() == (ROOT / "schemas" / name).read_bytes(), (
            f"schemas/{name} is stale: run qm schema"
        )


def test_there_are_samples_of_every_kind() -> None:
    kinds = {parse_yaml(str(f), f.read_bytes()).data["kind"] for f in SAMPLES}
    assert kinds == set(KINDS)
    assert len(SAMPLES) >= 9


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in SAMPLES])
def test_each_sample_names_its_schema_on_the_first_line_and_validates(sample: Path) -> None:
    kind = parse_yaml(str(sample), sample.read_bytes()).data["kind"]
    first_line = sample.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"
    assert (sample.parent / first_line.split("=", 1)[1]).resolve() == ROOT / "schemas" / f"{kind}.schema.json"
    data = parse_yaml(str(sample), sample.read_bytes()).data
    errors = [e.message for e in validator(committed(kind)).iter_errors(data)]
    assert errors == []


def test_effective_environments_validate_against_the_strict_schema() -> None:
    strict = validator(kind_schema("Environment"))
    for name, layered in load(ROOT).effective.items():
        assert [e.message for e in strict.iter_errors(layered.data)] == [], name


def test_the_schemas_reject_what_the_models_reject() -> None:
    live = load(ROOT).effective["live"].data
    strict, layer = validator(kind_schema("Environment")), validator(committed("Environment"))
    for path, value in [
        (("spec", "strategies", 0, "version"), "latest"),
        (("spec", "risk", "max_daily_loss"), -1),
        (("spec", "mode"), "production"),
        (("spec", "execution", "routes_live_orders"), "yes"),
        (("spec", "execution", "credentials", "key_id"), "plain-text-key"),
        (("spec", "surprise"), 1),
    ]:
        broken = copy.deepcopy(live)
        node = broken
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        assert not strict.is_valid(broken), path
        assert not layer.is_valid(broken), path


def test_a_file_may_leave_out_what_its_base_supplies_and_null_out_defaults() -> None:
    layer, strict = validator(committed("Environment")), validator(kind_schema("Environment"))
    local = parse_yaml("local.yaml", (ROOT / "environments/local.yaml").read_bytes()).data
    assert "monitoring" not in local["spec"]  # inherited from _base.yaml
    local["spec"]["alerts"]["channels"] = None  # removes the base's channels
    assert layer.is_valid(local)
    assert not strict.is_valid(local)


def test_a_strategy_is_written_whole_even_in_a_layer() -> None:
    paper = parse_yaml("paper.yaml", (ROOT / "environments/paper.yaml").read_bytes()).data
    del paper["spec"]["strategies"][0]["version"]
    assert not validator(committed("Environment")).is_valid(paper)
