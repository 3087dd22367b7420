"""`repo.blobs.directory_blobs` recomputes exactly the blob ids the loader records for what it
parsed (the in-sync fast path's key), and declines a tree the loader's link rules would judge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quantmatrix.repo.blobs import directory_blobs
from quantmatrix.repo.loader import FOLDERS, load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_the_blob_ids_are_those_the_loader_recorded(repo: Path) -> None:
    recorded = dict(load(repo).blobs)
    assert recorded and directory_blobs(repo, FOLDERS) == recorded
    (repo / "releases" / "2026.11.1.yaml").write_text((repo / "releases" / "2026.11.1.yaml").read_text() + "\n")
    changed = directory_blobs(repo, FOLDERS)
    assert changed is not None and changed != recorded and changed == dict(load(repo).blobs)


def test_a_split_catalog_folder_is_listed_too(repo: Path) -> None:
    (repo / "environments" / "secrets").mkdir()
    (repo / "environments" / "secrets" / "extra.yaml").write_text("x: 1\n")
    found = directory_blobs(repo, FOLDERS)
    assert found is not None and "environments/secrets/extra.yaml" in found


@pytest.mark.parametrize("how", ["file link", "folder link", "subfolder named .yaml"])
def test_links_and_odd_entries_are_not_judged(repo: Path, how: str) -> None:
    if how == "file link":
        (repo / "environments" / "alias.yaml").symlink_to(repo / "environments" / "local.yaml")
    elif how == "folder link":
        shutil.move(repo / "releases", repo / "real-releases")
        (repo / "releases").symlink_to(repo / "real-releases")
    else:
        (repo / "releases" / "odd.yaml").mkdir()
    assert directory_blobs(repo, FOLDERS) is None
