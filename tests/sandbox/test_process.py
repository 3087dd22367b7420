"""The sandbox as a process: one version per component, the aggregate /health, refusing a
foreign mode at start, SIGTERM and crash, the store-backed control state, no secret written."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sandbox_platform import REDIS_URL, Control, Platform, sample_environment

from quantmatrix.runtime.control import TradingState, control_from_environment, store_control
from quantmatrix.runtime.store import open_store
from quantmatrix.sandbox.launch import LaunchFailed, launch, spawn, stop, stop_all

REDIS = {"QM_SANDBOX_REDIS_URL": REDIS_URL}


def test_each_component_is_its_own_process_with_its_own_version_and_the_api_reports_all(
    paper_platform: Platform,
) -> None:
    paper_platform.reset()
    versions = paper_platform.versions
    assert len(set(versions.values())) == 3  # the release pins three different versions
    assert len({launched.pid for launched in paper_platform.processes.values()}) == 3
    for name, launched in paper_platform.processes.items():
        own = httpx.get(f"{launched.url}/health").json()
        assert (own["component"], own["version"], own["mode"]) == (name, versions[name], "paper")
    document = httpx.get(f"{paper_platform.api}/health").json()
    assert document["status"] == "healthy"
    assert document["trading"]["state"] == "ACTIVE"
    assert (
        document["config_version"]
        == document["trading"]["config_version"]
        == paper_platform.control.plane.read().config_version
    )
    components = document["components"]
    assert {name: components[name]["version"] for name in versions} == versions
    assert set(components) == {
        "api",
        "workers",
        "ui",
        "market_data",
        "broker",
        "risk_manager",
        "scanner",
        "strategy_allocator",
        "analytics_pipeline",
    }
    assert all(entry["status"] == "healthy" for entry in components.values())


def test_a_peer_that_does_not_answer_is_missing_within_the_peer_timeout(control: Control) -> None:
    control.publish(sample_environment("paper"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    api = launch(
        "api",
        "3.3.1",
        "paper",
        "--prefix",
        control.prefix,
        "--config-version",
        "cfg-1",
        "--peer",
        f"workers=http://127.0.0.1:{closed}",
        env=REDIS,
    )
    try:
        started = time.monotonic()
        document = httpx.get(f"{api.url}/health").json()
        assert time.monotonic() - started < 2
        assert document["config_version"] == "cfg-1"  # what it was deployed with, given on its command line
        assert document["components"]["workers"]["status"] == "missing"
        assert document["components"]["broker"]["status"] == "missing"
        assert (
            document["components"]["ui"]["status"] == "missing"
            and "no ui peer configured" in document["components"]["ui"]["message"]
        )
    finally:
        stop(api.process)


def test_refuses_to_start_in_a_mode_other_than_the_control_state(control: Control) -> None:
    control.publish(sample_environment("paper"))
    process = spawn("api", "1.0.0", "live", "--prefix", control.prefix, env=REDIS)
    try:
        code = process.wait(30)
        err = process.stderr.read() if process.stderr else ""
    finally:
        stop(process)
    assert code == 1
    assert "refusing to start the api in mode 'live': the control state says mode 'paper'" in err
    assert "Traceback" not in err


def test_starts_without_a_control_state_but_does_not_trade(control: Control) -> None:
    launched = launch("api", "1.0.0", "paper", "--prefix", control.prefix, env=REDIS)  # nothing published
    try:
        refused = httpx.post(f"{launched.url}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 1})
        assert refused.status_code == 503 and "is missing: not trading" in refused.json()["message"]
        control.publish(sample_environment("paper"))  # the state appears: trading starts, no restart
        assert (
            httpx.post(f"{launched.url}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 1}).status_code
            == 201
        )
    finally:
        stop(launched.process)


def test_sigterm_stops_it_cleanly() -> None:
    launched = launch("ui", "1.0.0", "paper")
    launched.process.send_signal(signal.SIGTERM)
    assert launched.process.wait(5) == 0
    stop(launched.process)


@pytest.mark.parametrize("how", ["at_start", "at_run_time"])
def test_crash_fault_exits_with_status_1(how: str) -> None:
    if how == "at_start":
        launched = launch("workers", "1.0.0", "paper", "--fault", "crash=0.3")
    else:
        launched = launch("workers", "1.0.0", "paper")
        answer = httpx.post(f"{launched.url}/_sandbox/faults", json={"fault": "crash"})
        assert answer.status_code == 202
    try:
        assert launched.process.wait(5) == 1
    finally:
        stop(launched.process)


def test_binds_only_to_loopback() -> None:
    launched = launch("ui", "1.0.0", "local")
    try:
        port = int(launched.url.rsplit(":", 1)[1])
        assert launched.url.startswith("http://127.0.0.1:")
        addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {
            "127.0.0.1",
            "127.0.1.1",
        }
        for address in addresses:  # any non-loopback address of this machine: nothing listens there
            with pytest.raises(OSError), socket.create_connection((address, port), timeout=1):
                pass
    finally:
        stop(launched.process)


def test_a_busy_port_is_a_clear_error_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "quantmatrix",
                "sandbox",
                "serve",
                "--component",
                "ui",
                "--version",
                "1.0.0",
                "--mode",
                "paper",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert (
        done.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--fault", "explode"], "unknown fault 'explode'"),
        (["--fault", "slow=forever"], "not a number of seconds"),
        (["--peer", "workers=http://10.0.0.1:80"], "only the api component has peers"),
        (["--version", "1.0.0;rm"], "letters, digits"),
        (["--prefix", "qm:"], "--redis-url needs"),
    ],
)
def test_bad_start_options_exit_2(args: list[str], message: str) -> None:
    argv = [
        sys.executable,
        "-m",
        "quantmatrix",
        "sandbox",
        "serve",
        "--component",
        "ui",
        "--version",
        "1.0.0",
        "--mode",
        "paper",
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QM_SANDBOX_")}
    if args[0] == "--prefix":
        argv[argv.index("--prefix") - 0 : argv.index("--prefix") + 2] = []
        argv += ["--redis-url", "redis://127.0.0.1:6379/0"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_the_api_accepts_only_loopback_peers() -> None:
    with pytest.raises(LaunchFailed, match="loopback only"):
        launch("api", "1.0.0", "paper", "--peer", "workers=http://192.0.2.1:80")


def test_local_without_redis_reads_the_control_state_from_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = open_store(url)
    local = sample_environment("local")
    store_control(store, "local").write(
        control_from_environment(local, trading=TradingState.ACTIVE, reason="t", changed_by="t", now=datetime.now(UTC))
    )
    launched = launch("api", "1.0.0", "local", "--environment", "local", env={"QM_SANDBOX_STORE_URL": url})
    try:
        assert (
            httpx.post(f"{launched.url}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 1}).status_code
            == 201
        )
        store_control(store, "local").set_trading(TradingState.HALTED, "operator", "dana")
        assert (
            httpx.post(f"{launched.url}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 1}).json()[
                "error"
            ]
            == "halted"
        )
    finally:
        stop(launched.process)
        store.close()


def test_no_secret_in_anything_it_writes_or_serves() -> None:
    """A Redis URL whose password is a canary, to a port where nothing listens: the sandbox
    serves (not trading) and neither its output nor any answer holds the password."""
    canary = "canary-" + os.urandom(8).hex()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    launched = launch(
        "api",
        "1.0.0",
        "paper",
        "--prefix",
        "qm:canary:",
        env={"QM_SANDBOX_REDIS_URL": f"redis://user:{canary}@127.0.0.1:{port}/0"},
    )
    try:
        served = [
            httpx.get(f"{launched.url}{path}").text
            for path in ("/health", "/api/risk", "/api/settings", "/_sandbox/faults")
        ]
        served.append(
            httpx.post(f"{launched.url}/api/orders", json={"symbol": "AAPL", "side": "buy", "quantity": 1}).text
        )
        assert "not trading" in served[0]
        launched.process.send_signal(signal.SIGTERM)
        out, err = launched.process.communicate(timeout=10)
    finally:
        stop(launched.process)
    assert "not trading" in err  # (the "listening on" line was read by launch)
    for text in (*served, out, err):
        assert canary not in text


def test_warming_up_is_progressing_and_many_idle_connections_do_not_stop_it(
    monkeypatch: pytest.MonkeyPatch, control: Control
) -> None:
    control.publish(sample_environment("paper"))
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # a proxy that is not there: peers must not use it
    monkeypatch.setenv("no_proxy", "")
    ui = launch("ui", "2.8.0", "paper")
    api = launch(
        "api", "3.3.1", "paper", "--warmup", "60", "--peer", f"ui={ui.url}", "--prefix", control.prefix, env=REDIS
    )
    try:
        idle = [socket.create_connection(("127.0.0.1", int(api.url.rsplit(":", 1)[1]))) for _ in range(50)]
        document = httpx.get(f"{api.url}/health", timeout=5, trust_env=False).json()
        assert document["components"]["api"]["status"] == "progressing"
        assert document["components"]["ui"]["status"] == "healthy"  # fetched directly, not through the proxy
        for connection in idle:
            connection.close()
    finally:
        stop_all([api.process, ui.process])


def test_a_component_stops_when_the_process_that_launched_it_is_killed() -> None:
    """`launch` holds the component's stdin: a test run killed with SIGKILL (no finalizer runs)
    still leaves nothing behind."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from quantmatrix.sandbox.launch import launch; "
            "print(launch('ui', '1.0.0', 'paper').pid, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # running
        parent.kill()
        parent.wait(5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.05)
        assert not _alive(child), "the sandbox outlived the process that launched it"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
        if child and _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Running and not a zombie (the orphan is reaped by init, not by us)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_an_unreachable_store_at_start_is_exit_3_without_its_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    canary = "canary" + os.urandom(6).hex()
    env = {**os.environ, "QM_SANDBOX_STORE_URL": f"postgresql://qm:{canary}@127.0.0.1:{port}/state"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quantmatrix",
            "sandbox",
            "serve",
            "--component",
            "api",
            "--version",
            "1.0.0",
            "--mode",
            "paper",
            "--environment",
            "paper",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 3, done.stderr
    assert "unavailable" in done.stderr and canary not in done.stderr + done.stdout and "Traceback" not in done.stderr
