"""The README's walkthrough (docs/walkthrough.md, made by docs/walkthrough.py) runs end to end
against the real PostgreSQL, a real redis-server and the sandbox platform, and says what the
reader relies on: every command's exit code, the paper record that live used as evidence is in
paper's store, live ends in sync with trading ACTIVE only after its checks, the records are
there, and no password of any URL is shown or stored. The committed page runs the same
commands in the same order as a fresh run, so it cannot rot silently.

Without PostgreSQL, `redis-server` or the `libfaketime` package the test is skipped loudly;
with CI=true it fails. Every process the walkthrough starts is stopped by pid (`qm down`, then
a sweep of the process driver's state files; its redis-server by pid)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "walkthrough.py"

# (command, exit code) in order: the reader's path, refusals included
EXPECTED = [
    ("qm validate", 0),
    ("qm release new 2026.12.0", 0),
    ("qm promote 2026.12.0 --to paper", 0),
    ("qm check --base main", 1),  # the rollback plan review is missing
    ("qm check --base main", 0),
    ("qm diff --base main", 0),
    ("qm validate", 0),
    ("qm plan paper", 0),
    ("qm apply paper --yes", 0),
    ("qm status paper", 0),
    ("qm history paper", 0),
    ("qm promote 2026.12.0 --to live --evidence dep-paper-2026.12.0-1", 1),  # paper still observed
    ("qm promote 2026.12.0 --to live --evidence dep-paper-2026.12.0-1", 0),
    ("qm check --base main", 0),
    ("qm apply live", 1),  # in session: the deploy window is closed
    ("qm plan live", 0),
    ("qm apply live", 0),  # the typed confirmation
    ("qm status live", 0),
    ("qm history live --format markdown", 0),
    ("qm down live", 0),
    ("qm down paper", 0),
]


def _missing(what: str) -> None:
    message = f"SERVICE MISSING: {what}; the walkthrough did not run"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — CI=true, so this is a failure")
    pytest.skip(message)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qm_walkthrough", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _commands(document: str) -> list[str]:
    """The commands a page shows, in order (`$ qm …` and `$ git …` lines of its blocks)."""
    return re.findall(r"^\$ ((?:qm|git) .*)$", document, flags=re.MULTILINE)


def _rows(engine: Engine) -> list[str]:
    """Every row of every table of the database, as text."""
    found: list[str] = []
    with engine.connect() as conn:
        for schema in ("public", "qm_control"):
            for table in inspect(conn).get_table_names(schema=schema):
                found.extend(str(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{schema}"."{table}"')))
    return found


def test_the_walkthrough_runs_end_to_end_and_the_page_matches_it(pg_admin: Any) -> None:
    if shutil.which("redis-server") is None:
        _missing("redis-server is not installed (apt-get install redis-server)")
    if importlib.util.find_spec("libfaketime") is None:
        _missing("the libfaketime package is not installed (pip install -e '.[test]')")
    module = _script()
    seen: dict[str, Any] = {}

    def look(walk: Any) -> None:
        """Before the clean-up: what the stores hold."""
        from quantmatrix.runtime.store import open_store
        from quantmatrix.runtime.store.deployments import deployment_history, get_deployment
        from quantmatrix.runtime.store.events import trading_history
        from quantmatrix.runtime.store.journal import journal_steps

        paper, live = (open_store(walk.databases[name], migrate=False) for name in ("paper", "live"))
        try:
            seen["paper_record"] = get_deployment(paper, walk.facts["paper_deployment"])
            seen["in_live_store"] = get_deployment(live, walk.facts["paper_deployment"])
            seen["live_records"] = deployment_history(live, "live")
            seen["journal"] = journal_steps(live, walk.facts["live_deployment"])
            seen["trading"] = trading_history(live, "live")
            seen["main"] = walk.git("rev-parse", "main").strip()
        finally:
            paper.close()
            live.close()
        seen["rows"] = []
        for url in walk.databases.values():
            engine = create_engine(url)
            try:
                seen["rows"].extend(_rows(engine))
            finally:
                engine.dispose()
        seen["password"] = walk.password
        seen["repo"] = walk.repo

    walk = module.run_walkthrough(str(pg_admin.url.render_as_string(hide_password=False)), inspect=look)

    # every command, with the exit code the page shows
    assert [(run.shown, run.code) for run in walk.runs if run.shown.startswith("qm ")] == EXPECTED
    outputs = {run.shown: run.output for run in walk.runs}

    # paper's record, in paper's store (not live's), is the evidence promote and live's readiness used
    paper_id = walk.facts["paper_deployment"]
    record = seen["paper_record"]
    assert record is not None and record.release == "2026.12.0" and record.mode == "paper"
    assert record.status == "succeeded" and not record.rollback_used
    assert record.validation and all(check.passed for check in record.validation)
    assert seen["in_live_store"] is None
    assert (
        f"paper deployment {paper_id} in the state store"
        in outputs[f"qm promote 2026.12.0 --to live --evidence {paper_id}"]
    )
    assert f"paper evidence {paper_id}" in outputs["qm apply live"]
    assert (
        "observation window runs until 2026-12-01 21:00 UTC"
        in walk.runs[[r.shown for r in walk.runs].index(f"qm promote 2026.12.0 --to live --evidence {paper_id}")].output
    )

    # live: one deployment of the merged commit, by the people on duty, every validation passed
    (live,) = seen["live_records"]
    assert live.id == walk.facts["live_deployment"] and live.status == "succeeded" and live.release == "2026.12.0"
    assert live.mode == "live" and live.commit == seen["main"] and not live.rollback_used
    assert live.operator == "dana.ops" and live.engineer == "li.eng" and live.break_glass_reason is None
    assert live.validation and all(check.passed for check in live.validation)
    assert live.monitoring_until is not None and live.monitoring_until > live.finished_at

    # trading: HALTED before the first service changed, ACTIVE only after the checks and the
    # reconciliation finished; HALTED again by `qm down`
    steps = {step.step: step for step in seen["journal"]}
    assert all(steps[name].state == "finished" for name in ("checks", "reconciliation", "enable_trading"))
    states = [(row["trading"], row["at"]) for row in seen["trading"]]
    assert [state for state, _at in states] == ["HALTED", "ACTIVE", "HALTED"]
    assert states[0][1] <= steps["deploy.api"].started_at
    assert states[1][1] >= steps["checks"].finished_at and states[1][1] >= steps["reconciliation"].finished_at
    status = outputs["qm status live"]
    assert status.startswith("live (live): in sync") and "trading  ACTIVE" in status
    assert f"## `{live.id}`: release `2026.12.0`, succeeded" in outputs["qm history live --format markdown"]

    # the refusal in session names the next window; nothing was deployed by it
    refused = walk.runs[[r.shown for r in walk.runs].index("qm apply live")]
    assert "deploy window closed" in refused.output and "next window opens 2026-12-02 17:00 EST" in refused.output
    assert "Type the environment name" not in refused.output

    # no password of any URL on the page, in any output or in any stored row
    page = module.document(walk)
    password = seen["password"]
    assert password not in page and all(password not in run.output for run in walk.runs)
    assert not [row for row in seen["rows"] if password in row]

    # the committed page runs what a fresh run runs, in the same order
    assert _commands((ROOT / "docs" / "walkthrough.md").read_text()) == _commands(page)

    # nothing left running and nothing left behind
    from quantmatrix.runtime.drivers import procs

    assert not seen["repo"].exists() and len(walk.processes) >= 6  # api, workers, ui of paper and live
    assert not [pid for pid, started in walk.processes if procs.is_ours(pid, started)]
