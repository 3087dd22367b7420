"""`qm promote RELEASE --to ENV`: load the desired state at PATH, then move ENV's release pin
(and what must move with it) in its file, with paper evidence for live
(`quantmatrix.release.promote`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from quantmatrix.reconcile.evidence import DEFAULT_MAX_AGE

if TYPE_CHECKING:
    from quantmatrix.release.promote import Promotion


def promote(
    path: str | Path,
    release: str,
    environment: str,
    evidence: str | None = None,
    dry_run: bool = False,
    *,
    store_url: str | None = None,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Promotion:
    """Pin `environment` to `release` in the work tree at `path` (a dry run only proves the
    edit would validate). Refusals raise `PromotionRefused` (exit 1), bad input ConfigError,
    an unreachable store RuntimeUnavailable; nothing is written then."""
    from quantmatrix.release.promote import write_promotion
    from quantmatrix.usecases.load import load_state

    state = load_state(path).state
    return write_promotion(
        state, path, release, environment, evidence, dry_run, store_url=store_url, now=now, max_age=max_age
    )
