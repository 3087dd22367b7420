"""A base loaded reusing the head (`load_source(base, reuse=head)`, the pull-request path)
equals a full load of the base, whatever the change: it reuses only documents whose bytes
are the same, and re-derives everything that depends on a changed one.

Each case changes the sample in one commit; both directions are loaded (the change as the
head, and as the base) against a full load, from a git ref and from the work tree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # the diff tests' git repository helper
import gitrepo  # noqa: E402

from quantmatrix.errors import ConfigError
from quantmatrix.repo.loader import load_source
from quantmatrix.repo.source import open_source
from quantmatrix.state import DesiredState


def _rename(repo: Any, old: str, new: str) -> None:
    text = repo.read(f"environments/{old}.yaml").replace(f"name: {old}\n", f"name: {new}\n", 1)
    (repo.root / f"environments/{old}.yaml").unlink()
    repo.write(f"environments/{new}.yaml", text)


def _catalog_part(repo: Any, secret: str) -> None:
    (repo.root / "environments/secrets").mkdir(exist_ok=True)
    repo.write(
        "environments/secrets/extra.yaml",
        "apiVersion: quantmatrix.io/v1\nkind: SecretCatalog\nmetadata:\n  name: extra\nspec:\n  secrets:\n"
        f"    {secret}:\n      scope: paper\n      description: A part of the catalog.\n      provider: {{env: {secret}}}\n",
    )


CHANGES: dict[str, Callable[[Any], None]] = {
    "value in one environment": lambda r: r.edit(
        "environments/paper.yaml", "max_daily_loss: 5000", "max_daily_loss: 5001"
    ),
    "value in _base.yaml": lambda r: r.edit("environments/_base.yaml", "min_price: 5", "min_price: 6"),
    "limit removed from _base.yaml": lambda r: r.edit("environments/_base.yaml", "    max_daily_loss: 250\n", ""),
    "environment added": lambda r: r.write(
        "environments/paper2.yaml", r.read("environments/paper.yaml").replace("name: paper\n", "name: paper2\n", 1)
    ),
    "environment removed": lambda r: (r.root / "environments/backtest.yaml").unlink(),
    "environment renamed": lambda r: _rename(r, "backtest", "backtest2"),
    "release added": lambda r: r.write(
        "releases/2026.11.2.yaml",
        r.read("releases/2026.11.1.yaml").replace("name: 2026.11.1\n", "name: 2026.11.2\n", 1),
    ),
    "catalog description changed": lambda r: r.edit(
        "environments/secrets.yaml", "Redis URL (with password) of the paper control plane.", "Redis URL of paper."
    ),
    "catalog part added in environments/secrets/": lambda r: _catalog_part(r, "QM_PAPER_EXTRA_KEY"),
    # the cases below leave one side invalid: the problems must be the same too
    "catalog part declares a secret twice": lambda r: _catalog_part(r, "QM_PAPER_REDIS_URL"),
    "catalog loses a secret an environment uses": lambda r: r.edit(
        "environments/secrets.yaml",
        "    QM_PAPER_REDIS_URL:\n      scope: paper\n      description: Redis URL (with password) of the paper control plane.\n      provider: {env: QM_PAPER_REDIS_URL}\n",
        "",
    ),
    "release pins another strategy version": lambda r: r.edit(
        "releases/2026.11.1.yaml", "momentum_breakout: 1.4.2", "momentum_breakout: 1.4.3"
    ),
    "environment references an undeclared secret": lambda r: r.edit(
        "environments/paper.yaml", "url: {secret: QM_PAPER_REDIS_URL}", "url: {secret: QM_PAPER_REDIS_URL_2}"
    ),
    "environment pins a strategy version its release does not": lambda r: r.edit(
        "environments/paper.yaml", "version: 1.4.2", "version: 1.4.3"
    ),
    "environment file made invalid": lambda r: r.edit("environments/live.yaml", "mode: live", "mode: liev"),
    "_base.yaml made unparsable": lambda r: r.write(
        "environments/_base.yaml", r.read("environments/_base.yaml") + "  risk: [\n"
    ),
    "base file made invalid": lambda r: r.edit(
        "environments/_base.yaml", "max_daily_loss: 250", "max_daily_loss: -250"
    ),
}


def _outcome(load: Callable[[], DesiredState]) -> DesiredState | list[Any]:
    try:
        return load()
    except ConfigError as error:
        return sorted(error.problems, key=repr)


def _load(root: Path, ref: str | None, reuse: DesiredState | None = None) -> DesiredState:
    """Open and load the state at `ref` (None: the work tree), lazily: `_outcome` sees the error."""
    return load_source(open_source(root, ref), reuse=reuse)


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_partial_load_equals_a_full_load(tmp_path: Path, change: str) -> None:
    repo = gitrepo.make_repo(tmp_path / "repo")
    CHANGES[change](repo)
    repo.commit(change)
    sides = {"main": "HEAD~1", "changed": "HEAD"}
    compared = 0
    for base_name, reuse_name in (("main", "changed"), ("changed", "main")):
        base_ref = sides[base_name]
        full = _outcome(partial(_load, repo.root, base_ref))
        # the state to reuse: from the work tree (holds `changed`) or from a ref
        reuses = [partial(_load, repo.root, sides[reuse_name])]
        if reuse_name == "changed":
            reuses.append(partial(_load, repo.root, None))
        for loaded in reuses:
            reuse = _outcome(loaded)
            if not isinstance(reuse, DesiredState):
                continue  # an invalid state has nothing to lend
            reloaded = _outcome(partial(_load, repo.root, base_ref, reuse))
            assert reloaded == full, f"{change}: base {base_name} reusing {reuse_name}"
            compared += 1
    assert compared >= 1


def test_a_partial_load_reuses_what_did_not_change(tmp_path: Path) -> None:
    """Not a test of speed (bench/pr_path_bench.py): that reuse happens at all."""
    repo = gitrepo.make_repo(tmp_path / "repo")
    CHANGES["value in one environment"](repo)
    head = load_source(open_source(repo.root))
    base = load_source(open_source(repo.root, "HEAD"), reuse=head)
    shared = {name for name in base.effective if base.effective[name] is head.effective[name]}
    assert shared == set(head.effective) - {"paper"}
    assert base.release_docs["2026.11.1"] is head.release_docs["2026.11.1"]
    assert base.effective["paper"].data["spec"]["risk"]["max_daily_loss"] == 5000
    # a change to _base.yaml: no environment is taken whole
    repo.git("checkout", "-q", "--", ".")
    CHANGES["value in _base.yaml"](repo)
    head = load_source(open_source(repo.root))
    base = load_source(open_source(repo.root, "HEAD"), reuse=head)
    assert not any(base.effective[name] is head.effective[name] for name in base.effective)
    assert base.effective["live"].data["spec"]["scanner"]["params"]["min_price"] == 5
