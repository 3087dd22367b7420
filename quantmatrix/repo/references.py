"""Cross-file references: release pins, strategy versions, secret names.

Checked on the environments that validated; a broken environment already has its problems.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from quantmatrix.errors import Problem
from quantmatrix.repo.yamlfile import Path, dotted
from quantmatrix.state import DesiredState


def is_secret_ref(value: Any) -> bool:
    """`{secret: NAME}`: a reference to a secret, never its value."""
    return isinstance(value, dict) and set(value) == {"secret"} and isinstance(value["secret"], str)


def secret_refs(data: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every `{secret: NAME}` in `data`, with its path."""
    if isinstance(data, dict):
        if is_secret_ref(data):
            yield path, data["secret"]
            return
        for key, value in data.items():
            yield from secret_refs(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from secret_refs(value, path + (i,))


def check_references(
    state: DesiredState, release_files: Collection[str], declared: Collection[str] | None, checked: Collection[str] = ()
) -> list[Problem]:
    """`release_files`: every release file's name, readable or not (a broken file has its own
    problems; "not found" would be noise). `declared`: the catalog's secret names, or None when
    the catalog exists but cannot be read (then secret names are not checked). `checked`:
    environments whose references were checked, without problems, in a state they share
    everything they reference with (a partial load): skipped."""
    problems: list[Problem] = []

    def at(env: str, path: Path, message: str) -> None:
        file, line, col = state.effective[env].locate(path)
        problems.append(Problem(file, line, col, dotted(path), message))

    for name, env in state.environments.items():
        if name in checked:
            continue
        release = state.releases.get(env.spec.release)
        if env.spec.release not in release_files:
            at(name, ("spec", "release"), f"release {env.spec.release} not found in releases/")
        elif release is not None:
            for i, strategy in enumerate(env.spec.strategies):
                pinned = release.spec.strategies.get(strategy.name)
                if pinned is None:
                    at(
                        name,
                        ("spec", "strategies", i, "name"),
                        f"strategy '{strategy.name}' is not pinned by release {release.metadata.name}",
                    )
                elif pinned != strategy.version:
                    at(
                        name,
                        ("spec", "strategies", i, "version"),
                        f"version {strategy.version} differs from {pinned}, the version release {release.metadata.name} pins",
                    )
            if release.spec.analytics.logic_version != env.spec.analytics.logic_version:
                at(
                    name,
                    ("spec", "analytics", "logic_version"),
                    f"analytics logic {env.spec.analytics.logic_version} differs from "
                    f"{release.spec.analytics.logic_version}, the version release {release.metadata.name} pins",
                )
        if declared is None:
            continue
        for path, secret in secret_refs(state.effective[name].data.get("spec"), ("spec",)):
            if secret not in declared:
                at(
                    name,
                    path,
                    f"secret {secret} is not declared in the secret catalog (environments/secrets.yaml or environments/secrets/)",
                )
    return problems
