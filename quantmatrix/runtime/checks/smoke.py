"""Functional smoke (guide §12, and §7 for local): each screen loads and says what it must."""

from __future__ import annotations

from typing import Any

from quantmatrix.runtime.checks.outcome import Assess, Outcome
from quantmatrix.runtime.checks.probe import Context, describe
from quantmatrix.runtime.checks.uipage import find_banner


def screen(path: str, what: str, required: dict[str, type | tuple[type, ...]]) -> Assess:
    """GET `path`: HTTP 200, a JSON object, with `required` fields of the right types."""

    async def assess(ctx: Context) -> Outcome:
        answer = await ctx.get(ctx.api(path))
        if answer.status != 200 or answer.problem:
            return Outcome(False, describe(answer, f"{what} ({path})"))
        body: Any = answer.body
        if not isinstance(body, dict):
            return Outcome(False, f"{what} ({path}): not a JSON object")
        wrong = [key for key, kind in required.items() if not _typed(body.get(key), kind)]
        if wrong:
            return Outcome(False, f"{what} ({path}): missing or mistyped {', '.join(wrong)}")
        return Outcome(True, f"{what} loads")

    return assess


def _typed(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that a JSON true/false is not a number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))


async def ui_loads(ctx: Context) -> Outcome:
    if not ctx.target.ui_url:
        return Outcome(False, "no UI URL given: cannot check that the UI loads")
    answer = await ctx.get(ctx.target.ui_url.rstrip("/") + "/", html=True)
    if answer.status != 200:
        return Outcome(False, describe(answer, "UI"))
    if find_banner(str(answer.body)) is None:
        return Outcome(False, "UI: the page has no mode banner (#mode-banner)")
    return Outcome(True, "UI loads with its mode banner")


async def watchlist_flow(ctx: Context) -> Outcome:
    """§7 "watchlist flow works": list, add a marker symbol, see it, remove it (local only)."""
    listed = await ctx.get(ctx.api("/api/watchlist"))
    if listed.status != 200 or not isinstance(listed.body, dict) or not isinstance(listed.body.get("symbols"), list):
        return Outcome(False, describe(listed, "watchlist (/api/watchlist)"))
    marker = "QMSMOKE"
    if marker in listed.body["symbols"]:  # left by an interrupted pass: do not remove what we did not add
        return Outcome(True, f"watchlist loads (it already holds {marker}; add/remove not repeated)")
    added = await ctx.request("POST", ctx.api("/api/watchlist"), json={"symbol": marker})
    if added.status != 200 or not isinstance(added.body, dict) or marker not in (added.body.get("symbols") or []):
        return Outcome(False, describe(added, f"watchlist: adding {marker}"))
    removed = await ctx.request("DELETE", ctx.api(f"/api/watchlist/{marker}"))
    if removed.status != 200 or marker in (
        (removed.body or {}).get("symbols") or [] if isinstance(removed.body, dict) else []
    ):
        return Outcome(False, describe(removed, f"watchlist: removing {marker}"))
    return Outcome(True, "watchlist loads; adding and removing a symbol works")


def local_only(ctx: Context) -> bool:
    return ctx.environment.spec.mode.value == "local"
