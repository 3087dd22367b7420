"""The CLI edge: exit codes, no traceback on screen, colour only on a terminal, a fast start."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSI = "\x1b["


def qm_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quantmatrix", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def qm_in_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run qm with stdout and stderr on a pseudo-terminal; return its exit code and output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "quantmatrix", *args], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def broken_repo(sample_repo: Path) -> Path:
    paper = sample_repo / "environments/paper.yaml"
    paper.write_text(paper.read_text().replace("max_daily_loss: 5000", "max_daily_loss: -5"))
    return sample_repo


def test_exit_codes_of_a_real_process(broken_repo: Path) -> None:
    valid = qm_process("validate", str(ROOT))
    assert valid.returncode == 0, valid.stderr
    invalid = qm_process("validate", str(broken_repo))
    assert invalid.returncode == 2
    assert "environments/paper.yaml:" in invalid.stderr and "Traceback" not in invalid.stderr + invalid.stdout
    assert qm_process("validate", "--format", "xml").returncode == 2  # usage error
    assert qm_process("no-such-command").returncode == 2


def test_an_internal_error_prints_a_notice_and_a_log_path_not_a_traceback(run_qm, monkeypatch) -> None:
    # A fault is injected (the loader raising a bug-like error): there is no honest way to
    # make the real loader crash, which is the point of it.
    import quantmatrix.repo.loader

    def explode(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(quantmatrix.repo.loader, "load_reported", explode)  # what qm validate calls

    result = run_qm("validate", ROOT)

    assert result.code == 70
    assert "Traceback" not in result.output
    (line,) = result.err.splitlines()
    assert line.startswith("An unexpected error has occurred: KeyError. Details: ")
    log = Path(line.rsplit(" ", 1)[1])
    try:
        assert "Traceback" in log.read_text() and "explode" in log.read_text()
    finally:
        log.unlink()


def test_validate_does_not_import_the_runtime_stack() -> None:
    probe = (
        "import sys\n"
        "from quantmatrix.cli import cli\n"
        "from quantmatrix.cli.edge import run\n"
        f"code = run(cli, ['validate', {str(ROOT)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'redis', 'httpx'))\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


def test_no_colour_when_not_a_terminal(broken_repo: Path) -> None:
    for args in (("validate", str(ROOT)), ("validate", str(broken_repo))):
        done = qm_process(*args, env={"NO_COLOR": ""})  # set but empty: does not count (no-color.org)
        assert ANSI not in done.stdout + done.stderr


def test_colour_on_a_terminal_unless_no_color(broken_repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    code, output = qm_in_a_terminal("validate", str(broken_repo), env=env)
    assert code == 2
    assert ANSI in output

    code, output = qm_in_a_terminal("validate", str(broken_repo), env=env | {"NO_COLOR": "1"})
    assert code == 2
    assert ANSI not in output
    assert "environments/paper.yaml:" in output


@pytest.mark.parametrize(
    ("module", "extra", "code"),
    [("sqlalchemy", "runtime", 2), ("redis.asyncio", "runtime", 2), ("opa_client", "opa", 2), ("not_an_extra", "", 70)],
)
def test_a_missing_optional_library_says_which_extra_to_install(
    run_qm, monkeypatch, module: str, extra: str, code: int
) -> None:
    # The gate installs without the `runtime` and `opa` extras: a command that needs one must say so, not
    # crash. Its absence is simulated (sys.modules[name] = None makes the import fail).
    import importlib

    import quantmatrix.repo.loader

    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setattr(quantmatrix.repo.loader, "load_reported", lambda *a, **k: importlib.import_module(module))
    result = run_qm("validate", ROOT)
    assert result.code == code and "Traceback" not in result.output
    if code == 2:
        assert (
            result.err.strip()
            == f"this needs the {extra} extra ({module} is not installed): pip install 'quantmatrix-deploy[{extra}]'"
        )
    else:
        Path(result.err.strip().rsplit(" ", 1)[1]).unlink()  # the crash log


def test_the_opa_engine_without_its_extra_says_so(run_qm, monkeypatch) -> None:
    # the plain install has no OPA client: simulated by making its import fail
    monkeypatch.setitem(sys.modules, "requests", None)
    monkeypatch.setitem(sys.modules, "opa_client", None)
    result = run_qm("check", ROOT, "--engine", "opa", "--opa-url", "http://127.0.0.1:9")
    assert result.code == 2 and result.out == ""
    assert "pip install 'quantmatrix-deploy[opa]'" in result.err and "Traceback" not in result.output
