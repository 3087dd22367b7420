"""A secret catalog split over several files (`environments/secrets/*.yaml`, one per scope or
team) is one catalog: the loader, the policy input and every position in it are what one
`environments/secrets.yaml` gives, and a name declared twice is an error at its second line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo.loader import load
from quantmatrix.repo.yamlfile import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
HEADER = "apiVersion: quantmatrix.io/v1\nkind: SecretCatalog\nmetadata:\n  name: {name}\nspec:\n  secrets:\n"


def _catalog_text(name: str, entries: dict[str, object]) -> str:
    # JSON is YAML: one entry per line, so each secret's line is known
    return HEADER.format(name=name) + "".join(f"    {key}: {json.dumps(value)}\n" for key, value in entries.items())


def split_by_scope(repo: Path, keep: tuple[str, ...] = ("local",)) -> dict[str, Path]:
    """Move every secret whose scope is not in `keep` to environments/secrets/<scope>.yaml."""
    secrets = load(repo).document()["secrets"]
    scopes: dict[str, dict[str, object]] = {}
    for name, entry in secrets.items():
        scopes.setdefault(entry["scope"], {})[name] = entry
    (repo / "environments/secrets").mkdir()
    kept = {n: e for scope in keep for n, e in scopes.pop(scope, {}).items()}
    (repo / "environments/secrets.yaml").write_text(_catalog_text("secrets", kept))
    files = {}
    for scope, entries in scopes.items():
        files[scope] = repo / f"environments/secrets/{scope}.yaml"
        files[scope].write_text(_catalog_text(scope, entries))
    return files


def problems_of(repo: Path, ref: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(repo, ref)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_split_catalog_is_the_same_catalog(sample_repo: Path) -> None:
    single = load(sample_repo)
    files = split_by_scope(sample_repo)
    split = load(sample_repo)
    assert split.document() == single.document()  # the policy input does not change
    assert split.catalog is not None and single.catalog is not None
    assert split.catalog.spec.secrets == single.catalog.spec.secrets
    assert [d.file for d in split.catalog_docs] == [
        "environments/secrets.yaml",
        "environments/secrets/backtest.yaml",
        "environments/secrets/live.yaml",
        "environments/secrets/paper.yaml",
    ]
    # every entry is located in the file that declares it
    assert split.locate(("secrets", "QM_LIVE_BROKER_SECRET")) == (
        "environments/secrets/live.yaml",
        line_of(files["live"], "QM_LIVE_BROKER_SECRET"),
        5,
    )
    assert split.locate(("secrets", "QM_LOCAL_REDIS_URL"))[0] == "environments/secrets.yaml"


def test_the_catalog_may_live_only_in_the_folder(sample_repo: Path) -> None:
    split_by_scope(sample_repo, keep=())
    (sample_repo / "environments/secrets.yaml").unlink()
    state = load(sample_repo)
    assert state.catalog is not None and "QM_LOCAL_REDIS_URL" in state.catalog.spec.secrets


def test_a_name_declared_twice_is_an_error_at_the_second_file(sample_repo: Path) -> None:
    files = split_by_scope(sample_repo)
    entry = {"scope": "paper", "description": "declared a second time", "provider": {"env": "X"}}
    extra = sample_repo / "environments/secrets/team-b.yaml"
    extra.write_text(_catalog_text("team-b", {"QM_OTHER": entry, "QM_LIVE_BROKER_SECRET": entry}))
    first = line_of(files["live"], "QM_LIVE_BROKER_SECRET")
    assert problems_of(sample_repo) == [
        f"environments/secrets/team-b.yaml:{line_of(extra, 'QM_LIVE_BROKER_SECRET')}:5: spec.secrets.QM_LIVE_BROKER_SECRET: "
        f"secret QM_LIVE_BROKER_SECRET is already declared in environments/secrets/live.yaml:{first}; declare each secret once"
    ]


def test_a_name_in_both_the_file_and_the_folder_is_an_error(sample_repo: Path) -> None:
    entry = {"scope": "local", "description": "again", "provider": {"env": "X"}}
    extra = sample_repo / "environments/secrets/dup.yaml"
    extra.parent.mkdir()
    extra.write_text(_catalog_text("dup", {"QM_LOCAL_REDIS_URL": entry}))
    assert problems_of(sample_repo) == [
        f"environments/secrets/dup.yaml:7:5: spec.secrets.QM_LOCAL_REDIS_URL: secret QM_LOCAL_REDIS_URL is already "
        f"declared in environments/secrets.yaml:{line_of(sample_repo / 'environments/secrets.yaml', 'QM_LOCAL_REDIS_URL:')}; declare each secret once"
    ]


def test_only_catalogs_in_the_folder(sample_repo: Path) -> None:
    (sample_repo / "environments/secrets").mkdir()
    shutil.copy(sample_repo / "environments/local.yaml", sample_repo / "environments/secrets/local.yaml")
    found = problems_of(sample_repo)
    assert any(
        p.startswith("environments/secrets/local.yaml:")
        and "kind 'Environment' is not allowed in environments/secrets/" in p
        for p in found
    )


def test_an_invalid_part_is_reported_in_its_file(sample_repo: Path) -> None:
    files = split_by_scope(sample_repo)
    files["paper"].write_text(files["paper"].read_text().replace('"scope": "paper"', '"scope": "papr"', 1))
    found = problems_of(sample_repo)
    assert len(found) == 1 and found[0].startswith("environments/secrets/paper.yaml:7:") and "scope" in found[0]


def test_each_part_keeps_the_size_limit(sample_repo: Path) -> None:
    split_by_scope(sample_repo)
    huge = sample_repo / "environments/secrets/huge.yaml"
    huge.write_text(_catalog_text("huge", {}) + "#" * (MAX_FILE_BYTES + 10) + "\n")
    assert any(p.startswith("environments/secrets/huge.yaml:") for p in problems_of(sample_repo))


def test_an_unreadable_part_hides_no_reference(sample_repo: Path) -> None:
    files = split_by_scope(sample_repo)
    files["live"].write_text("spec: [unclosed\n")
    found = problems_of(sample_repo)
    # only the broken file: its names are unknown, so references to them are not "undeclared"
    assert found and all(p.startswith("environments/secrets/live.yaml:") for p in found)


def test_a_git_ref_reads_the_split_catalog(sample_repo: Path, git) -> None:
    split_by_scope(sample_repo)
    git(sample_repo, "init", "-q", "-b", "main")
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "-q", "-m", "split catalog")
    shutil.rmtree(sample_repo / "environments/secrets")  # the work tree no longer has it
    state = load(sample_repo, "HEAD")
    assert state.secret_docs["QM_LIVE_BROKER_SECRET"].file == "environments/secrets/live.yaml"
    assert state.document() == load(ROOT).document()


def test_the_gate_locates_findings_in_the_part(sample_repo: Path, tmp_path: Path, qm) -> None:
    shutil.copytree(ROOT / "policies", sample_repo / "policies")
    files = split_by_scope(sample_repo)
    key = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example key id, split so no scanner trips here
    files["live"].write_text(files["live"].read_text().replace('"description": "', f'"description": "{key} ', 1))
    report = tmp_path / "report.json"
    code, _, err = qm("check", sample_repo, "--format", "json", "--output", report, "--today", "2026-11-28")
    assert code == 1, err
    findings = json.loads(report.read_text())["findings"]
    located = {(f["file"], f["line"]) for f in findings if f["id"] == "QM-CFG-002"}
    assert located == {("environments/secrets/live.yaml", line_of(files["live"], key))}


def test_the_diff_sees_a_split_catalog_like_the_single_file(sample_repo: Path, git) -> None:
    from quantmatrix.diff import diff_states

    git(sample_repo, "init", "-q", "-b", "main")
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "-q", "-m", "one catalog file")
    files = split_by_scope(sample_repo)  # the same entries, moved into environments/secrets/
    assert diff_states(load(sample_repo, "main"), load(sample_repo)).secrets == ()
    # a scope moved in a split file: reported at that file's line, toward live
    text = files["paper"].read_text()
    files["paper"].write_text(text.replace('"scope": "paper"', '"scope": "live"', 1))
    (changed,) = diff_states(load(sample_repo, "main"), load(sample_repo)).secrets
    moved = next(line.split(":", 1)[0].strip() for line in text.splitlines()[6:] if '"scope": "paper"' in line)
    assert changed.name == moved and changed.scope == ("paper", "live") and changed.toward_live
    assert changed.location == f"environments/secrets/paper.yaml:{line_of(files['paper'], moved)}"
