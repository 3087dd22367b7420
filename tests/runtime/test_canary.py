"""The canary: one secret resolved through the real resolver, then every output path this
branch has — the CLI, logs (caplog and a real logging configuration writing a file),
exceptions, JSON, the drivers' state files, logs and command lines — searched for it."""

from __future__ import annotations

import hashlib
import json
import logging
import logging.config
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from canary import Canary

from quantmatrix.model.common import Mode
from quantmatrix.model.runtime import Runtime
from quantmatrix.runtime.drivers import DeploySpec, DriverContext, DriverError, driver_for

STANDIN = str(Path(__file__).parent / "standin_service.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def logged_to_file(tmp_path: Path) -> Iterator[Path]:
    """A real logging configuration, as an operator would write it: a file handler with the
    redacting filter, everything at DEBUG."""
    path = tmp_path / ".qm" / "logs" / "qm.log"
    path.parent.mkdir(parents=True)
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"redact": {"()": "quantmatrix.runtime.secrets.RedactingFilter"}},
            "formatters": {
                "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s %(dsn)s", "defaults": {"dsn": "-"}}
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": str(path),
                    "filters": ["redact"],
                    "formatter": "plain",
                }
            },
            "root": {"level": "DEBUG", "handlers": ["file"]},
        }
    )
    yield path
    for handler in root.handlers:
        if handler not in saved[1]:
            handler.close()
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])


def test_the_canary_appears_in_no_output(
    tmp_path: Path, canary: Canary, logged_to_file: Path, caplog: pytest.LogCaptureFixture, run_qm: Any
) -> None:
    from quantmatrix.runtime.secrets import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.DEBUG)
    secret = canary.resolve()
    outputs: list[str | bytes] = []
    log = logging.getLogger("quantmatrix.test.canary")

    # 1. careless logging of the value, of the object, with arguments, extras and a traceback
    log.info("connecting with %s", secret.reveal(), extra={"dsn": secret.reveal()})
    log.info("secret object %s %r", secret, secret)
    try:
        raise ConnectionError("cannot reach " + secret.reveal())
    except ConnectionError as error:
        log.exception("connect failed")
        outputs.append("".join(traceback.format_exception(error)).replace(secret.reveal(), "<the one raw place>"))

    # 2. the process driver: secret in the child's environment, state and log files, observe
    runtime = Runtime.model_validate(
        {
            "process": {
                "components": {
                    "api": {
                        "command": [
                            sys.executable,
                            STANDIN,
                            "--version",
                            "{version}",
                            "--port",
                            "{port}",
                            "--secret-env",
                            "QM_DB_URL",
                        ]
                    }
                }
            }
        }
    )
    driver = driver_for(DriverContext("local", Mode.local, runtime, tmp_path / ".qm"))
    spec = DeploySpec(secrets={"QM_DB_URL": secret})
    try:
        driver.deploy("api", "1.0.0", spec)
        seen = driver.observe("api")
        outputs.append(Path(f"/proc/{seen.pid}/cmdline").read_bytes())
        outputs.append(
            Path(f"/proc/{seen.pid}/environ")
            .read_bytes()
            .replace(secret.reveal().encode(), b"<in the child's environment, as designed>")
        )
        outputs.append(seen.model_dump_json())
        driver.deploy("api", "1.1.0", spec)  # an upgrade: a second state file write and log
        outputs.append(driver.observe("api").model_dump_json())
        assert json.loads((tmp_path / ".qm" / "local" / "api.json").read_text())["version"] == "1.1.0"
        canary.assert_absent_in_tree(tmp_path / ".qm")  # the state file, while it exists, and the logs
    finally:
        driver.stop("api")
    standin_logs = "".join(p.read_text() for p in (tmp_path / ".qm" / "logs").glob("local-api-*.log"))
    assert f"sha256 {hashlib.sha256(canary.value.encode()).hexdigest()}" in standin_logs  # it did arrive

    # 3. the command driver: a careless command that prints it and fails
    careless = Runtime.model_validate(
        {
            "driver": "command",
            "command": {
                "deploy": [sys.executable, "-c", "import os, sys; print(os.environ['QM_DB_URL']); sys.exit(2)"]
            },
        }
    )
    with pytest.raises(DriverError) as caught:
        driver_for(DriverContext("local", Mode.local, careless, tmp_path / ".qm")).deploy("api", "1.0.0", spec)
    outputs.append(str(caught.value))
    log.error("deploy failed: %s", caught.value)

    # 4. JSON: refused, and the refusal names no value
    with pytest.raises(TypeError) as refused:
        json.dumps({"url": secret})
    outputs.append(str(refused.value))

    # 5. the CLI commands of this branch, with the canary in their environment
    for args in (
        ("validate", ROOT),
        ("render", "local", ROOT, "--format", "json"),
        ("check", ROOT),
        ("schema", "--out", tmp_path / "schemas"),
    ):
        result = run_qm(*args)
        assert result.code == 0, result.output
        outputs.append(result.output)

    for handler in logging.getLogger().handlers:
        handler.flush()
    canary.assert_absent(*outputs, where="an output")
    canary.assert_absent(caplog.text, where="caplog")
    canary.assert_absent(*(repr(vars(record)) for record in caplog.records), where="a log record")
    assert "connecting with <redacted>" in logged_to_file.read_text()
    searched = canary.assert_absent_in_tree(tmp_path)
    assert searched >= 4  # qm.log, two standin logs, schemas (state files were removed by stop)
    assert len(caplog.records) >= 6
