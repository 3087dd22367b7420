"""Fixtures for the status page: a real headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium through /usr/bin/chromedriver — never Selenium Manager,
which would download a browser), and the sample repository with local applied on the real
sandbox platform. Every process started here is stopped by pid at the end of the module.

Screenshots are kept in tests/artifacts/status-page/ (git-ignored)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
ARTIFACTS = TESTS / "artifacts" / "status-page"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

sys.path.insert(0, str(TESTS / "runtime"))  # the canary helpers
from canary import Canary  # noqa: E402

_spec = importlib.util.spec_from_file_location("qm_reconcile_fixtures", TESTS / "reconcile" / "conftest.py")
assert _spec is not None and _spec.loader is not None
reconcile_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reconcile_fixtures)


@pytest.fixture
def make_canary(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Canary]:
    return lambda **options: Canary.create(monkeypatch, **options)


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason} (.ci/run installs chromium and chromium-driver)")
    pytest.skip(f"SKIPPED LOUDLY: {reason}; install it as .ci/run does: apt-get install -y chromium chromium-driver")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium; its chromedriver process is ended by `quit()` (and by pid if that fails)."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        _missing_browser(f"{CHROMIUM} or {CHROMEDRIVER} is missing")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing_browser("selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-proxy-server",
        "--window-size=1500,1300",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(argument)
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            process = getattr(service, "process", None)
            if process is not None and process.poll() is None:
                os.kill(process.pid, 9)
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def applied_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the sample repository, local on free ports, `qm apply local --yes` done."""
    repo = reconcile_fixtures.copy_local_repo(tmp_path_factory.mktemp("statuspage") / "repo")
    try:
        done = reconcile_fixtures.run_qm(repo, "apply", "local", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr
        yield repo
    finally:
        reconcile_fixtures.stop_local_platform(repo, "local")


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """`screenshot(driver, name)`: saves tests/artifacts/status-page/<name>.png."""

    def save(driver: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        driver.save_screenshot(str(path))
        return path

    return save
