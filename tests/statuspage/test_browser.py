"""The status page in a real headless Chromium, against local applied on the real sandbox
platform (three processes) and the repository's paper, live and backtest (not running here:
shown as unreadable, with their banners). The tests assert what a person sees.

Screenshots: tests/artifacts/status-page/*.png (git-ignored)."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from quantmatrix.reconcile.connect import connect
from quantmatrix.repo.loader import load
from quantmatrix.runtime.controlstate import TradingState
from quantmatrix.runtime.secrets import SecretValue
from quantmatrix.sandbox.banner import BANNER_COLOURS, banner_words
from quantmatrix.statuspage.server import StatusApp, serve_in_background, stop_serving
from quantmatrix.statuspage.source import RepoSource

ENVIRONMENTS = ("local", "paper", "live", "backtest")


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


# The page re-renders every 250 ms: read what is shown in one script run (atomic in the page's
# thread), never through element handles that the next render makes stale.
_TEXT = "var e = document.querySelector(arguments[0]); return e ? e.textContent : null;"
_BANNER = (
    "var b = document.querySelector(arguments[0]); if (!b) return null; var s = getComputedStyle(b);"
    " return [b.textContent, s.backgroundColor, s.color];"
)


def _text(driver: Any, selector: str) -> str | None:
    text: str | None = driver.execute_script(_TEXT, selector)
    return text


def _banner(driver: Any, selector: str) -> list[str] | None:
    shown: list[str] | None = driver.execute_script(_BANNER, selector)
    return shown


class Page:
    def __init__(self, url: str, token: str, app: StatusApp, repo: Path) -> None:
        self.url, self.token, self.app, self.repo = url, token, app, repo


@pytest.fixture(scope="module")
def page(applied_local: Path) -> Iterator[Page]:
    token = secrets.token_urlsafe(24)
    app = StatusApp(
        RepoSource(applied_local, ENVIRONMENTS),
        halt_token=SecretValue("QM_TEST_STATUS_HALT_TOKEN", token),
        poll_interval=0.1,
    )
    server, _ = serve_in_background(app, "127.0.0.1", 0)
    try:
        yield Page(f"http://127.0.0.1:{server.server_address[1]}/", token, app, applied_local)
    finally:
        stop_serving(app, server)


def _field(driver: Any, environment: str, name: str) -> str | None:
    return _text(driver, f"#env-{environment} [data-field='{name}']")


def _shown(driver: Any, condition: Callable[[Any], bool], within: float) -> float:
    """Seconds until `condition(driver)` held in the DOM (polled every 20 ms); fails after `within`."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    start = time.monotonic()
    WebDriverWait(
        driver, within, poll_frequency=0.02, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)
    ).until(condition)
    return time.monotonic() - start


def _set_trading(repo: Path, state: TradingState, reason: str) -> None:
    connected = connect(load(repo), "local", repo, create=False)
    try:
        assert connected.control is not None
        connected.control.set_trading(state, reason, "a hand on the control keys")
    finally:
        connected.close()


def test_each_mode_shows_the_platform_ui_banner_in_its_words_and_colours(
    browser: Any, page: Page, screenshot: Callable[[Any, str], Path]
) -> None:
    browser.get(page.url)
    _shown(
        browser,
        lambda d: d.execute_script("return document.querySelectorAll('section.env').length") == len(ENVIRONMENTS),
        within=5,
    )
    state = load(page.repo)
    for name in ENVIRONMENTS:
        spec = state.environments[name].spec
        words, background, _ = _banner(browser, f"#env-{name} .banner") or ["", "", ""]
        assert words == banner_words(spec.mode.value, spec.ui.banner), name
        assert background == _rgb(BANNER_COLOURS[spec.mode.value][0]), name
    assert _text(browser, "#env-live .banner") == "LIVE TRADING · REAL CAPITAL"
    shown = _banner(browser, "#env-local .banner")
    screenshot(browser, "1-banners")

    # The platform's own UI (local's sandbox ui process) shows the same words in the same colours.
    connected = connect(state, "local", page.repo, create=False)
    try:
        endpoint = connected.driver.observe("ui").endpoint
    finally:
        connected.close()
    assert endpoint
    browser.get(endpoint.rstrip("/") + "/")
    assert _banner(browser, "#mode-banner") == shown
    screenshot(browser, "1-platform-ui")


def test_in_sync_then_a_hand_change_shows_as_drift_within_a_second(
    browser: Any, page: Page, screenshot: Callable[[Any, str], Path]
) -> None:
    browser.get(page.url)
    _shown(
        browser,
        lambda d: _field(d, "local", "sync") == "IN SYNC" and _field(d, "local", "trading") == "ACTIVE",
        within=10,
    )
    assert "3.3.1" in (_text(browser, "#env-local table.components") or "")
    assert "succeeded" in (_text(browser, "#env-local table.deployments") or "")
    assert _field(browser, "local", "monitoring") not in (None, "", "—")
    assert _text(browser, "#env-local table.drift") is None
    screenshot(browser, "2-in-sync")

    _set_trading(page.repo, TradingState.REDUCING, "changed by hand")
    took = _shown(
        browser,
        lambda d: _field(d, "local", "sync") == "DRIFTING" and "trading" in (_text(d, "#env-local table.drift") or ""),
        within=1.0,
    )
    assert _field(browser, "local", "trading") == "REDUCING" and _field(browser, "local", "reason") == "changed by hand"
    assert "REDUCING → ACTIVE" in (_text(browser, "#env-local table.drift") or "")
    screenshot(browser, "2-drifting")
    print(f"drift shown after {took * 1000:.0f} ms")

    _set_trading(page.repo, TradingState.ACTIVE, "restored by hand")
    _shown(browser, lambda d: _field(d, "local", "sync") == "IN SYNC", within=1.0)
    metrics = urllib.request.urlopen(page.url + "metrics", timeout=5).read().decode()
    assert 'qm_drift_detected_total{environment="local",kind="safety"} 1.0' in metrics
    assert 'qm_environment_in_sync{environment="local"} 1.0' in metrics


def test_halt_is_refused_without_the_token_and_works_with_it_showing_halted(
    browser: Any, page: Page, make_canary: Callable[..., Any], screenshot: Callable[[Any, str], Path]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    canary = make_canary(mode="local", url=True)
    secret = canary.resolve()  # resolved in this process, as a secret the server holds would be
    browser.get(page.url)
    _shown(
        browser,
        lambda d: d.find_element(By.ID, "halt-panel").is_displayed() and _field(d, "local", "trading") == "ACTIVE",
        within=5,
    )
    Select(browser.find_element(By.ID, "halt-environment")).select_by_value("local")
    hostile = f"<img id=injected src=x> stop: key {secret.reveal()}"

    def submit(token: str) -> str:
        browser.execute_script("document.getElementById('halt-result').textContent = ''")
        for field_id, value in (("halt-reason", hostile), ("halt-token", token)):
            element = browser.find_element(By.ID, field_id)
            element.clear()
            element.send_keys(value)
        browser.find_element(By.ID, "halt-button").click()
        _shown(browser, lambda d: d.find_element(By.ID, "halt-result").text not in ("", "sending…"), within=5)
        result: str = browser.find_element(By.ID, "halt-result").text
        return result

    assert submit("") == "refused: a valid bearer token is required"
    assert (
        submit(page.token[:-1] + ("x" if page.token[-1] != "x" else "y")) == "refused: a valid bearer token is required"
    )
    time.sleep(0.5)
    assert _field(browser, "local", "trading") == "ACTIVE"  # nothing happened
    screenshot(browser, "3-refused")

    assert submit(page.token).startswith("halted: operator halt recorded by status page")
    _shown(browser, lambda d: _field(d, "local", "trading") == "HALTED", within=1.0)
    reason = _field(browser, "local", "reason")
    assert reason.startswith("operator halt: <img id=injected src=x> stop: key") and "<redacted>" in reason
    assert browser.find_elements(By.ID, "injected") == []  # shown as text, never markup
    assert browser.find_element(By.ID, "halt-token").get_property("value") == ""
    screenshot(browser, "3-halted")

    api = urllib.request.urlopen(page.url + "api/status", timeout=5).read().decode()
    metrics = urllib.request.urlopen(page.url + "metrics", timeout=5).read().decode()
    local = next(e for e in json.loads(api)["environments"] if e["environment"] == "local")
    assert local["trading"]["state"] == "HALTED" and local["trading"]["operator_halt"]["by"] == "status page"
    assert 'qm_trading_state{environment="local",state="HALTED"} 1.0' in metrics
    canary.assert_absent(browser.page_source, api, metrics, where="status page")
    assert canary.assert_absent_in_tree(page.repo / ".qm") > 0  # the stored reason was redacted before it was written
    for output in (browser.page_source, api, metrics):
        assert page.token not in output
