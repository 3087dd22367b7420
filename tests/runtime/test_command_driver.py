"""The command driver with real commands: argv templating that hostile values cannot escape,
timeouts that kill, exit codes and output reported redacted, secrets only in the environment."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from canary import Canary

from quantmatrix.model.common import Mode
from quantmatrix.model.runtime import Runtime
from quantmatrix.runtime.drivers import DRIVERS, DeploySpec, DriverContext, DriverError, DriverRefused, procs
from quantmatrix.runtime.drivers.command import CommandDriver

# A real program that records its argv and the environment variable names it received.
RECORD = "import json, os, sys; json.dump({'argv': sys.argv[1:], 'env': sorted(os.environ)}, open(sys.argv[1], 'w'))"


def driver(tmp_path: Path, **command: Any) -> CommandDriver:
    runtime = Runtime.model_validate(
        {"driver": "command", "command": {"deploy": ["true"], "timeout_seconds": 5, **command}}
    )
    made = DRIVERS["command"](DriverContext("paper", Mode.paper, runtime, tmp_path / ".qm"))
    assert isinstance(made, CommandDriver)
    return made


def recorded(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_deploy_substitutes_validated_values_inside_single_arguments(tmp_path: Path) -> None:
    out = tmp_path / "deploy.json"
    d = driver(
        tmp_path,
        deploy=[
            sys.executable,
            "-c",
            RECORD,
            str(out),
            "set",
            "image",
            "deployment/qm-{component}",
            "{component}=registry/{component}:{version}",
            "{mode}",
            "{environment}",
            "{config_version}",
        ],
    )
    d.deploy("api", "3.3.1", DeploySpec(config_version="2026.11.1"))
    assert recorded(out)["argv"][1:] == [
        "set",
        "image",
        "deployment/qm-api",
        "api=registry/api:3.3.1",
        "paper",
        "paper",
        "2026.11.1",
    ]


@pytest.mark.parametrize(
    "version",
    ["1.0.0; rm -rf /", "$(id)", "`id`", "1.0.0\nid", "1.0.0 --force", "-rf", "1.0.0|id", "1.0.0&&id", "../../etc", ""],
)
def test_hostile_versions_never_reach_a_command(tmp_path: Path, version: str) -> None:
    out = tmp_path / "ran.json"
    d = driver(tmp_path, deploy=[sys.executable, "-c", RECORD, str(out), "{version}"])
    with pytest.raises(DriverRefused, match="is not an exact version") as caught:
        d.deploy("api", version, DeploySpec())
    assert not out.exists()
    assert "\n" not in caught.value.problems[0].message.replace("\\n", "")  # shown as a repr: one line


@pytest.mark.parametrize("component", ["api; id", "scheduler", "API", "../api", "api\n"])
def test_unknown_components_are_refused(tmp_path: Path, component: str) -> None:
    d = driver(tmp_path, deploy=[sys.executable, "-c", RECORD, str(tmp_path / "ran.json"), "{component}"])
    with pytest.raises(DriverRefused, match="is not one of api, workers, ui"):
        d.deploy(component, "1.0.0", DeploySpec())  # type: ignore[arg-type]
    assert not (tmp_path / "ran.json").exists()


def test_a_placeholder_the_action_does_not_know_is_refused(tmp_path: Path) -> None:
    d = driver(tmp_path, deploy=["echo", "{config_version}"])
    with pytest.raises(DriverRefused, match=r"placeholder \{config_version\} has no value"):
        d.deploy("api", "1.0.0", DeploySpec())
    with pytest.raises(ValueError, match=r"stop cannot use \{version\}"):
        Runtime.model_validate(
            {
                "driver": "command",
                "command": {"deploy": ["true"], "stop": ["systemctl", "stop", "qm-{component}@{version}"]},
            }
        )


def test_a_command_that_overruns_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"import subprocess, time; p = subprocess.Popen(['sleep', '60']); open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    d = driver(tmp_path, deploy=[sys.executable, "-c", script], timeout_seconds=1)
    started = time.monotonic()
    with pytest.raises(DriverError, match=r"deploy api: .* timed out after 1 s and was killed"):
        d.deploy("api", "1.0.0", DeploySpec())
    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    for _ in range(100):
        if procs.start_time(grandchild) is None:
            break
        time.sleep(0.02)
    assert procs.start_time(grandchild) is None


def test_failures_say_which_action_and_exit_code_and_show_output_redacted(tmp_path: Path, canary: Canary) -> None:
    secret = canary.resolve()
    leak = "import os, sys; sys.stderr.write('cannot connect to ' + os.environ['QM_DSN'] + '\\n'); sys.exit(4)"  # a careless service
    d = driver(tmp_path, deploy=[sys.executable, "-c", leak])
    with pytest.raises(DriverError) as caught:
        d.deploy("workers", "1.0.0", DeploySpec(secrets={"QM_DSN": secret}))
    message = str(caught.value)
    assert "deploy workers 1.0.0:" in message and "exited with 4" in message and "cannot connect to" in message
    canary.assert_absent(message, where="the deploy error")
    with pytest.raises(DriverRefused, match="holds a secret"):  # nor may it be pasted into a command line
        driver(tmp_path, deploy=["echo", canary.value.split(":")[2].split("@")[0]]).deploy("api", "1.0.0", DeploySpec())
    with pytest.raises(DriverError, match=r"deploy api: cannot run '/no/such/kubectl'"):
        driver(tmp_path, deploy=["/no/such/kubectl", "{component}"]).deploy("api", "1.0.0", DeploySpec())


def test_rollout_status_decides_whether_a_deploy_is_done(tmp_path: Path) -> None:
    d = driver(
        tmp_path,
        deploy=["true"],
        rollout_status=[sys.executable, "-c", "import sys; print('waiting for rollout'); sys.exit(1)"],
    )
    with pytest.raises(
        DriverError, match=r"deploy api 1.0.0: rollout not complete .*exited with 1.*waiting for rollout"
    ):
        d.deploy("api", "1.0.0", DeploySpec())


def test_observe_reads_the_version_and_the_rollout(tmp_path: Path) -> None:
    image = [sys.executable, "-c", "print('registry.qm.internal/quantmatrix/api:3.3.1')"]
    assert driver(tmp_path, observe=image).observe("api").model_dump(include={"version", "health"}) == {
        "version": "3.3.1",
        "health": "healthy",
    }
    rolling = driver(tmp_path, observe=image, rollout_status=["false"]).observe("api")
    assert (rolling.version, rolling.health) == ("3.3.1", "progressing")
    assert driver(tmp_path, observe=["false"]).observe("api").health == "missing"
    assert driver(tmp_path, observe=["echo", "no version here"]).observe("api").health == "degraded"
    odd = driver(tmp_path, observe=["echo", "api:1.0.0\x1b[2J"], version_pattern=r"api:(\S+)").observe("api")
    assert (odd.version, odd.health, odd.message) == (None, "degraded", "observe printed no exact version")
    assert driver(tmp_path, observe=["sleep", "5"], timeout_seconds=0.3).observe("api").health == "degraded"
    assert driver(tmp_path).observe("api").message == "no observe command declared"


def test_stop_runs_the_stop_command_or_says_there_is_none(tmp_path: Path) -> None:
    out = tmp_path / "stop.json"
    driver(tmp_path, stop=[sys.executable, "-c", RECORD, str(out), "qm-{component}.service"]).stop("ui")
    assert recorded(out)["argv"][1:] == ["qm-ui.service"]
    with pytest.raises(DriverError, match="declares no stop command"):
        driver(tmp_path).stop("ui")


def test_secrets_reach_the_child_environment_only_and_nothing_else_of_ours_does(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QM_LIVE_BROKER_SECRET", "operator-shell-secret")
    out = tmp_path / "env.json"
    check = f"import hashlib, os, sys; open({str(out)!r}, 'w').write(hashlib.sha256(os.environ['QM_STORE_URL'].encode()).hexdigest() + ' ' + ' '.join(sorted(os.environ)))"
    driver(tmp_path, deploy=[sys.executable, "-c", check]).deploy(
        "api", "1.0.0", DeploySpec(secrets={"QM_STORE_URL": canary.resolve()})
    )
    digest, *names = out.read_text().split()
    assert digest == hashlib.sha256(canary.value.encode()).hexdigest()
    assert "QM_LIVE_BROKER_SECRET" not in names and "QM_CANARY_SECRET" not in names
    assert "QM_STORE_URL" in names and "PATH" in names


def test_a_secret_pasted_into_a_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DriverRefused, match="holds a secret"):
        driver(tmp_path, deploy=["psql", "postgresql://qm:Sup3rS3cretPassw0rd@db/qm"]).deploy(
            "api", "1.0.0", DeploySpec()
        )


def test_inherit_env_passes_only_the_named_variables_of_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/etc/qm/kubeconfig")
    monkeypatch.setenv("QM_OTHER", "not passed")
    out = tmp_path / "env.json"
    driver(tmp_path, deploy=[sys.executable, "-c", RECORD, str(out)], inherit_env=["KUBECONFIG"]).deploy(
        "api", "1.0.0", DeploySpec()
    )
    names = recorded(out)["env"]
    assert "KUBECONFIG" in names and "QM_OTHER" not in names
