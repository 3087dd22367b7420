"""Reading the mode banner out of a UI page: exactly one #mode-banner, its text and data-mode."""

from __future__ import annotations

from quantmatrix.runtime.checks.uipage import find_banner


def test_the_banner_text_and_mode() -> None:
    banner = find_banner('<body><div id="mode-banner" data-mode="paper"> PAPER\n  <b>TRADING</b> </div></body>')
    assert banner is not None and (banner.text, banner.mode) == ("PAPER TRADING", "paper")


def test_entities_are_decoded_so_an_escaped_banner_compares_equal() -> None:
    banner = find_banner('<p id="mode-banner">LIVE TRADING &middot; REAL CAPITAL</p>')
    assert banner is not None and banner.text == "LIVE TRADING · REAL CAPITAL" and banner.mode is None


def test_no_banner_or_two_banners_is_no_banner() -> None:
    """A page that shows two banners (one PAPER, one LIVE) is ambiguous, and fails the check."""
    assert find_banner("<html><body>PAPER TRADING</body></html>") is None
    assert find_banner('<div id="mode-banner">PAPER TRADING</div><div id="mode-banner">LIVE TRADING</div>') is None


def test_text_outside_the_banner_is_not_the_banner() -> None:
    banner = find_banner('<div id="mode-banner">LOCAL · DRY-RUN</div><p>LIVE TRADING</p>')
    assert banner is not None and banner.text == "LOCAL · DRY-RUN"
