"""The environment's `runtime` section: driver, checks' timing, state store — strict, layered,
and safe to template (argv lists with known placeholders only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from quantmatrix.errors import ConfigError
from quantmatrix.model.runtime import CommandDriver, Runtime, StoreSettings
from quantmatrix.repo.loader import load

ROOT = Path(__file__).resolve().parents[2]


def messages(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Runtime.model_validate(data)
    return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in caught.value.errors()]


def test_the_default_is_the_sandbox_under_the_process_driver_on_sqlite() -> None:
    runtime = Runtime()
    assert runtime.driver == "process"
    assert runtime.process.components == {} and runtime.process.host == "127.0.0.1"
    assert runtime.store.url is None and runtime.store.sqlite_file("local") == ".qm/local/state.db"


def test_the_samples_say_how_each_environment_runs() -> None:
    state = load(ROOT)
    local, paper, live = (state.environments[n].spec for n in ("local", "paper", "live"))
    assert local.runtime.driver == "process" and local.runtime.store.sqlite_file("local") == ".qm/local/state.db"
    assert not local.redis.required and not local.postgres.required  # the embedded default needs neither
    for env, secret in ((paper, "QM_PAPER_POSTGRES_URL"), (live, "QM_LIVE_POSTGRES_URL")):
        assert env.runtime.driver == "command" and env.runtime.command is not None
        assert env.runtime.store.url is not None and env.runtime.store.url.secret == secret
        assert env.runtime.store.sqlite_file(env.mode.value) is None
    # layering: checks come from _base where an environment does not set them
    assert state.environments["backtest"].spec.runtime.checks.deadline_seconds == 10
    assert local.runtime.checks.deadline_seconds == 5 and local.runtime.checks.backoff_seconds == 0.2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"drivr": "process"}, "drivr: Extra inputs are not permitted"),
        ({"driver": "docker"}, "driver: Input should be 'process' or 'command'"),
        ({"driver": "command"}, "driver 'command' needs the 'command' settings"),
        ({"checks": {"timeout_seconds": 0}}, "checks.timeout_seconds: Input should be greater than 0"),
        ({"checks": {"retries": "3"}}, "checks.retries: Input should be a valid integer"),
        (
            {"store": {"url": {"secret": "QM_X"}, "sqlite_path": ".qm/x.db"}},
            "set either 'url' or 'sqlite_path', not both",
        ),
        (
            {"store": {"sqlite_path": "/etc/passwd"}},
            "store.sqlite_path: Value error, must be a relative path under .qm/",
        ),
        ({"store": {"sqlite_path": ".qm/../../x.db"}}, "must be a relative path under .qm/"),
        (
            {"store": {"url": "postgresql://u:pw@db/x"}},
            "store.url: Input should be a valid dictionary or instance of SecretRef",
        ),
        ({"process": {"host": "0.0.0.0"}}, "process.host: Input should be '127.0.0.1', '::1' or 'localhost'"),
        (
            {"process": {"components": {"scheduler": {}}}},
            "process.components.scheduler.[key]: Input should be 'api', 'workers' or 'ui'",
        ),
        ({"process": {"components": {"api": {"command": "python -m http.server"}}}}, "Input should be a valid list"),
        (
            {"process": {"components": {"api": {"command": ["{version}", "x"]}}}},
            "the program (first argument) cannot be a placeholder",
        ),
        (
            {"process": {"components": {"api": {"command": ["svc", "--token={secret}"]}}}},
            "unknown placeholder {secret}",
        ),
        ({"process": {"components": {"api": {"command": ["svc", "{version.__class__}"]}}}}, None),
        ({"process": {"components": {"api": {"command": ["svc", "a\nb"]}}}}, "may not hold NUL or newline"),
        (
            {"process": {"components": {"api": {"health_path": "http://evil/health"}}}},
            "health_path: String should match pattern",
        ),
    ],
)
def test_bad_runtime_settings_are_refused_with_the_field(data: dict[str, Any], expected: str | None) -> None:
    if expected is None:  # not a placeholder: literal braces, passed through untouched
        assert Runtime.model_validate(data).process.components["api"].command == ["svc", "{version.__class__}"]
        return
    assert any(expected in m for m in messages(data)), messages(data)


def test_command_templates_need_one_version_group() -> None:
    with pytest.raises(ValidationError, match="exactly one group"):
        CommandDriver.model_validate({"deploy": ["true"], "version_pattern": r"\d+"})
    with pytest.raises(ValidationError, match="not a regular expression"):
        CommandDriver.model_validate({"deploy": ["true"], "version_pattern": r"(\d+"})


def test_store_default_is_per_environment() -> None:
    assert StoreSettings().sqlite_file("paper-2") == ".qm/paper-2/state.db"
    assert StoreSettings(sqlite_path=".qm/shared.db").sqlite_file("x") == ".qm/shared.db"


def test_a_bad_runtime_value_points_at_its_file_and_line(sample_repo: Path, line_in) -> None:
    path = sample_repo / "environments/paper.yaml"
    path.write_text(path.read_text().replace("timeout_seconds: 360", "timeout_seconds: -1"))
    with pytest.raises(ConfigError) as caught:
        load(sample_repo)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("environments/paper.yaml", line_in(path, "timeout_seconds: -1"))
    assert problem.path == "spec.runtime.command.timeout_seconds"


def test_the_base_runtime_layers_under_each_environment_and_null_removes_it(sample_repo: Path) -> None:
    base = sample_repo / "environments/_base.yaml"
    base.write_text(base.read_text().replace("      backoff_seconds: 0.2\n", "      backoff_seconds: 0.7\n"))
    path = sample_repo / "environments/backtest.yaml"
    path.write_text(
        path.read_text().replace(
            "    driver: process                 # the sandbox replays on the research host\n", "    checks: null\n"
        )
    )
    state = load(sample_repo)
    assert (
        state.environments["local"].spec.runtime.checks.backoff_seconds == 0.7
    )  # inherited, beside local's own timeouts
    assert state.environments["local"].spec.runtime.checks.deadline_seconds == 5
    assert (
        state.environments["backtest"].spec.runtime.checks.backoff_seconds == 0.2
    )  # base removed: the model's default
