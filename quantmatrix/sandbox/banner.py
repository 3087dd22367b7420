"""The mode banner: the words and colours the platform's UI shows for each mode. One home:
the sandbox UI page and the status page (`quantmatrix/statuspage/`) both render from here.

Live is red (real capital), paper amber, local blue, backtest grey: an operator tells the mode
from across the room, and live never looks like anything else.
"""

from __future__ import annotations

# The banner each mode's UI shows unless told otherwise (the sample environments' `ui.banner`).
BANNERS = {
    "local": "LOCAL · DRY-RUN",
    "paper": "PAPER TRADING",
    "live": "LIVE TRADING · REAL CAPITAL",
    "backtest": "BACKTEST · SIMULATED",
}
# mode → (background, text colour)
BANNER_COLOURS = {
    "local": ("#0b5cad", "#ffffff"),
    "paper": ("#f0b400", "#1b1b1b"),
    "live": ("#c4161c", "#ffffff"),
    "backtest": ("#5a6270", "#ffffff"),
}


def banner_words(mode: str, configured: str = "") -> str:
    """What the banner says: the environment's `ui.banner`, else the mode's default."""
    return configured or BANNERS.get(mode, mode.upper())


def banner_css() -> str:
    """The stylesheet rules of `.banner` and `.banner-<mode>`."""
    rules = [
        ".banner{font:bold 1.1rem/1.2 system-ui,sans-serif;letter-spacing:.08em;padding:.5rem 1rem;text-align:center}"
    ]
    rules += [f".banner-{mode}{{background:{bg};color:{fg}}}" for mode, (bg, fg) in BANNER_COLOURS.items()]
    return "\n".join(rules) + "\n"
