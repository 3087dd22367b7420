"""The loader as a library: one immutable `DesiredState`, every problem at once, cross-file
references checked, positions for every path of the policy document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo.loader import load

ROOT = Path(__file__).resolve().parents[2]


def problems_of(repo: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(repo)
    return [str(p) for p in caught.value.problems]


def edit(repo: Path, rel: str, old: str, new: str) -> Path:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_sample_repository_loads() -> None:
    state = load(ROOT)
    assert sorted(state.environments) == ["backtest", "live", "local", "paper"]
    assert sorted(state.releases) == ["2026.10.0", "2026.11.0", "2026.11.1"]
    assert state.environments["live"].spec.release == "2026.11.0"
    assert state.catalog is not None and "QM_LIVE_BROKER_SECRET" in state.catalog.spec.secrets


def test_the_policy_document_is_json_and_complete() -> None:
    state = load(ROOT)
    document = json.loads(json.dumps(state.document()))  # JSON-compatible, as the engines need
    assert set(document) == {"environments", "declared", "releases", "secrets", "bases"}
    live = document["environments"]["live"]["spec"]
    assert live["execution"]["credentials"]["key_id"] == {"secret": "QM_LIVE_BROKER_KEY_ID"}
    assert live["alerts"]["enabled"] is True  # effective: inherited from _base where not set
    assert "monitoring" in document["environments"]["local"]["spec"]
    assert "monitoring" not in document["declared"]["local"]["spec"]  # declared: as written
    assert document["secrets"]["QM_LIVE_REDIS_URL"]["scope"] == "live"
    assert document["releases"]["2026.11.0"]["spec"]["validation"]["paper"]["result"] == "passed"


@pytest.mark.parametrize(
    ("path", "file", "text"),
    [
        (("environments", "live", "spec", "risk", "max_daily_loss"), "environments/live.yaml", "max_daily_loss: 1500"),
        (("environments", "local", "spec", "monitoring", "intensity"), "environments/_base.yaml", "intensity: normal"),
        (("declared", "paper", "spec", "mode"), "environments/paper.yaml", "mode: paper"),
        (("releases", "2026.11.0", "spec", "rollback", "previous"), "releases/2026.11.0.yaml", "previous: 2026.10.0"),
        (("secrets", "QM_LIVE_REDIS_URL", "scope"), "environments/secrets.yaml", "QM_LIVE_REDIS_URL:\n      scope"),
        (("bases", "_base", "spec", "execution", "broker"), "environments/_base.yaml", "broker: dry-run"),
    ],
)
def test_locate_any_path_of_the_policy_document(path: tuple[str, ...], file: str, text: str, line_in) -> None:
    found_file, line, col = load(ROOT).locate(path)
    assert found_file == file
    assert line == line_in(ROOT / file, text) + text.count("\n")
    assert col > 0


def test_locate_an_unknown_path() -> None:
    assert load(ROOT).locate(("environments", "nowhere", "spec")) == ("", 0, 0)


def test_the_state_is_read_only() -> None:
    state = load(ROOT)
    with pytest.raises(TypeError):
        state.environments["evil"] = state.environments["live"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        state.source = "elsewhere"  # type: ignore[misc]


REFERENCE_CASES = {
    "missing-release": (
        "environments/paper.yaml", "release: 2026.11.1", "release: 2027.1.0", "release: 2027",
        "3: spec.release: release 2027.1.0 not found in releases/",
    ),
    "strategy-version-differs-from-the-release-pin": (
        "environments/live.yaml", "      version: 1.4.0\n", "      version: 1.4.2\n", "version: 1.4.2",
        "7: spec.strategies[0].version: version 1.4.2 differs from 1.4.0, the version release 2026.11.0 pins",
    ),
    "strategy-not-pinned-by-the-release": (
        "environments/live.yaml", "    - name: mean_reversion\n", "    - name: mean_reversion_v2\n", "mean_reversion_v2",
        "7: spec.strategies[1].name: strategy 'mean_reversion_v2' is not pinned by release 2026.11.0",
    ),
    "analytics-logic-differs-from-the-release": (
        "environments/live.yaml", "logic_version: 1.3.0", "logic_version: 1.3.1", "logic_version: 1.3.1",
        "5: spec.analytics.logic_version: analytics logic 1.3.1 differs from 1.3.0, the version release 2026.11.0 pins",
    ),
    "undeclared-secret": (
        "environments/live.yaml", "{secret: QM_LIVE_REDIS_URL}", "{secret: QM_LIVE_REDIS_URL_OLD}", "QM_LIVE_REDIS_URL_OLD",
        "5: spec.redis.url: secret QM_LIVE_REDIS_URL_OLD is not declared in the secret catalog (environments/secrets.yaml or environments/secrets/)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", REFERENCE_CASES.values(), ids=REFERENCE_CASES.keys())
def test_cross_file_references(case: tuple[str, str, str, str, str], sample_repo: Path, line_in) -> None:
    file, old, new, marker, expected = case
    path = edit(sample_repo, file, old, new)
    assert problems_of(sample_repo) == [f"{file}:{line_in(path, marker)}:{expected}"]


def test_secrets_inside_strategy_params_are_checked_too(sample_repo: Path) -> None:
    edit(
        sample_repo,
        "environments/paper.yaml",
        "half_life_days: 5}",
        "half_life_days: 5, token: {secret: QM_NOT_DECLARED}}",
    )
    assert problems_of(sample_repo)[0].endswith(
        "spec.strategies[2].params.token: secret QM_NOT_DECLARED is not declared in the secret catalog (environments/secrets.yaml or environments/secrets/)"
    )


def test_without_a_catalog_every_reference_is_undeclared(sample_repo: Path) -> None:
    (sample_repo / "environments/secrets.yaml").unlink()
    found = problems_of(sample_repo)
    assert len(found) == 17  # each reference, at its own line (14 connections and credentials, 3 runtime stores)
    assert all(
        "is not declared in the secret catalog (environments/secrets.yaml or environments/secrets/)" in p for p in found
    )


def test_the_catalog_file_must_be_a_secret_catalog(sample_repo: Path, line_in) -> None:
    path = edit(sample_repo, "environments/secrets.yaml", "kind: SecretCatalog", "kind: Environment")
    assert (
        f"environments/secrets.yaml:{line_in(path, 'kind: Environment')}:1: kind: environments/secrets.yaml is the secret catalog: use kind SecretCatalog"
        in problems_of(sample_repo)
    )


def test_a_catalog_elsewhere_is_refused(sample_repo: Path) -> None:
    catalog = sample_repo / "environments/secrets.yaml"
    (sample_repo / "environments/more-secrets.yaml").write_text(
        catalog.read_text().replace("name: secrets", "name: more-secrets")
    )
    assert any("the secret catalog lives in environments/secrets.yaml" in p for p in problems_of(sample_repo))


def test_unknown_base(sample_repo: Path, line_in) -> None:
    path = edit(sample_repo, "environments/paper.yaml", "extends: _base", "extends: _shared")
    # only that: the fields the base would supply are not reported missing as well
    assert problems_of(sample_repo) == [
        f"environments/paper.yaml:{line_in(path, 'extends: _shared')}:3: metadata.extends: base '_shared' not found in environments/"
    ]


def test_bases_can_extend_bases_but_not_in_a_cycle(sample_repo: Path, line_in) -> None:
    envs = sample_repo / "environments"
    (envs / "_paper.yaml").write_text(
        "apiVersion: quantmatrix.io/v1\nkind: EnvironmentBase\nmetadata:\n  name: _paper\n  extends: _base\nspec:\n  monitoring:\n    intensity: active\n"
    )
    edit(sample_repo, "environments/paper.yaml", "extends: _base", "extends: _paper")
    edit(sample_repo, "environments/paper.yaml", "  monitoring:\n    intensity: active\n", "  monitoring:\n")
    state = load(sample_repo)
    assert state.environments["paper"].spec.monitoring.intensity == "active"  # from _paper
    assert [layer.file for layer in state.effective["paper"].layers] == [
        "environments/paper.yaml",
        "environments/_paper.yaml",
        "environments/_base.yaml",
    ]

    edit(sample_repo, "environments/_base.yaml", "  name: _base\n", "  name: _base\n  extends: _paper\n")
    assert any("base '_paper' extends itself in a cycle" in p for p in problems_of(sample_repo))


def test_an_environment_named_like_a_base_is_refused(sample_repo: Path) -> None:
    base = sample_repo / "environments/_base.yaml"
    (sample_repo / "environments/_other.yaml").write_text(
        base.read_text().replace("EnvironmentBase", "Environment").replace("_base", "_other")
    )
    assert any("files starting with '_' are bases: use kind EnvironmentBase" in p for p in problems_of(sample_repo))


def test_problems_are_sorted_by_file_and_line(sample_repo: Path) -> None:
    edit(sample_repo, "releases/2026.11.1.yaml", "api: 3.3.1", "api: latest")
    edit(sample_repo, "environments/paper.yaml", "max_daily_loss: 5000", "max_daily_loss: 0")
    edit(sample_repo, "environments/live.yaml", "max_daily_loss: 1500", "max_daily_loss: 0")
    files = [p.split(":")[0] for p in problems_of(sample_repo)]
    assert files == ["environments/live.yaml", "environments/paper.yaml", "releases/2026.11.1.yaml"]


def test_other_files_are_ignored(sample_repo: Path) -> None:
    (sample_repo / "environments/README.md").write_text("# notes: not yaml\n- [ ]")
    (sample_repo / "environments/drafts").mkdir()
    (sample_repo / "environments/drafts/next.yaml").write_text("not: [valid")
    assert sorted(load(sample_repo).environments) == ["backtest", "live", "local", "paper"]


def test_a_broken_base_is_reported_once_not_by_every_environment(sample_repo: Path, line_in) -> None:
    base = edit(sample_repo, "environments/_base.yaml", "  execution:\n", "  execution: [\n")
    found = problems_of(sample_repo)
    assert [p.split(":")[0] for p in found] == ["environments/_base.yaml"]
    assert len(found) == 1
    assert f"(while parsing a flow sequence started at line {line_in(base, 'execution: [')})" in found[0]
